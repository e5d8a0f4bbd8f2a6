#!/usr/bin/env bash
# Browser tests drive Debian's Chromium. Install it when missing (we are root on
# CI and the dev machines); never download a browser from anywhere else.
set -euo pipefail
if [ -n "${WEFT_TEST_CHROMIUM:-}" ] && [ -x "$WEFT_TEST_CHROMIUM" ]; then exit 0; fi
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "chromium is not installed: run 'sudo apt-get install -y chromium' (or set WEFT_TEST_CHROMIUM)" >&2
  exit 1
fi
echo "installing Debian's chromium for the browser tests..." >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
