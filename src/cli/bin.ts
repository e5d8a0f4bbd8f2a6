#!/usr/bin/env node
import { main } from './main.js'

const stop = new AbortController()
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // a second signal means "now"
    if (stop.signal.aborted) process.exit(130)
    stop.abort()
  })
}

const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: stop.signal
})
process.exitCode = code
// libp2p can leave timers behind after stop; do not let them keep us alive
setTimeout(() => process.exit(code), 2000).unref()
