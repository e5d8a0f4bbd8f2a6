#!/usr/bin/env bash
# The streaming tests make their videos with Debian's ffmpeg. Install it when
# missing (we are root on CI and the dev machines), as ensure-chromium.sh does.
set -euo pipefail
if command -v ffmpeg >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "ffmpeg is not installed: run 'sudo apt-get install -y ffmpeg'" >&2
  exit 1
fi
echo "installing Debian's ffmpeg for the streaming tests..." >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg >/dev/null
