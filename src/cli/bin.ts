#!/usr/bin/env node
import { nodeVersionProblem } from './node-version.js'

const tooOld = nodeVersionProblem(process.version, process.execPath)
if (tooOld != null) {
  process.stderr.write(`weft: ${tooOld}\n`)
  process.exit(1)
}
// a server is run again with its garbage collector on one thread, before
// anything else happens in this process (gc-thread.ts)
const { runServerGcOnOneThread } = await import('./gc-thread.js')
runServerGcOnOneThread()
// for a server, before the stack's modules load, or the young generation has grown already (young-generation.ts)
const { keepYoungGenerationSmall } = await import('./young-generation.js')
keepYoungGenerationSmall()
// V8's compiled code for the modules a command loads is kept on disk (in the
// system's temp directory, or NODE_COMPILE_CACHE; NODE_DISABLE_COMPILE_CACHE=1
// turns it off) and reused by the next run. Unbundled, a 1 KiB weft get spent
// most of its start-up loading the stack's ~650 modules and the cache cut its
// CPU by ~13 %; what `weft` runs is the bundle (scripts/build-cli.mjs), whose
// chunks are loaded after this line, and there it still saves ~6 %
// (docs/performance.md, "The bundled CLI")
const { enableCompileCache } = await import('node:module')
enableCompileCache()
// imported only once the Node.js version is known to be enough
const { main } = await import('./main.js')

/** How long a command may take to wind down after SIGINT/SIGTERM before the process exits anyway. */
const STOP_GRACE_MS = 10_000

const stop = new AbortController()
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // a second signal means "now"
    if (stop.signal.aborted) process.exit(130)
    stop.abort()
    // a stop that hangs (a peer that never answers) must not keep us alive
    setTimeout(() => {
      process.stderr.write(`weft: did not stop within ${STOP_GRACE_MS / 1000} s of ${signal}; exiting\n`)
      process.exit(130)
    }, STOP_GRACE_MS).unref()
  })
}

// `weft get CID | head`: the reader went away; end quietly, as SIGPIPE ends other tools
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(141)
  throw err
})

// Timers behind AbortSignal.timeout() do not keep Node alive: a command whose
// last socket closed while it waits on one would end with "unsettled
// top-level await" (exit 13) instead of its own time-out error. Hold the
// process open until the command has answered.
const alive = setInterval(() => {}, 1 << 30)
const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  // only `put -` reads stdin; opening it earlier would hold a terminal
  get stdin () { return process.stdin },
  isTTY: { stdout: process.stdout.isTTY === true, stderr: process.stderr.isTTY === true },
  env: process.env,
  signal: stop.signal
})
clearInterval(alive)
process.exitCode = code
// libp2p can leave timers behind after stop; do not let them keep us alive
setTimeout(() => process.exit(code), 2000).unref()
