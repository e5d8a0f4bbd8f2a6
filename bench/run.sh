#!/usr/bin/env bash
# `npm run bench -- [options]`: build, install what the chosen measurements
# need (bench/prepare.ts: it may download, so it runs outside the namespace),
# then run the benchmark (bench/run.ts) inside a network namespace of its own
# (test/support/in-netns.sh, as `npm test` does): Chromium gathers no WebRTC
# candidates on a host with only loopback, so item 6's server listens on the
# namespace's non-loopback address, and no benchmark traffic leaves it.
# Without root the run happens outside any namespace, on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build
node dist/bench/prepare.js "$@"
exec bash test/support/in-netns.sh node dist/bench/run.js "$@"
