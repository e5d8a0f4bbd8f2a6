#!/usr/bin/env bash
# `npm test`: build, make sure Chromium is installed, then run every test
# inside a network namespace of its own, so no test traffic can leave it.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build
bash test/support/ensure-chromium.sh
bash test/support/ensure-ffmpeg.sh
exec bash test/support/in-netns.sh node --test --test-concurrency=1 --test-timeout=300000 'dist/test/**/*.test.js'
