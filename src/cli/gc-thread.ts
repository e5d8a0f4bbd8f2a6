/**
 * V8's garbage collector in a `weft start` server: on the main thread only
 * (`--single-threaded-gc`), not on V8's four helper threads.
 *
 * A server serving a get frees a 1 MiB buffer per block read and one per
 * megabyte sealed by noise; with its young generation kept small
 * (`young-generation.ts`) the objects holding them are promoted, and V8
 * mark-compacts its ~22 MB heap every 40-90 ms to free them (~40 times in
 * a 256 MiB get, "allocation limit"). With the helpers, each of those
 * marks concurrently and sweeps in the background: per 256 MiB get the
 * helper threads took ~600 ms of CPU beside the main thread's ~700; without
 * them the server's CPU per get was 0.68× and the get took 0.89× the time,
 * on a 2-core machine shared with the fetcher
 * (docs/performance.md, "A server's garbage collector on one thread").
 *
 * V8 takes the flag only from its command line: `v8.setFlagsFromString`
 * after start-up leaves the helpers running, and `NODE_OPTIONS` refuses it.
 * So a server started without it replaces itself, before anything else
 * runs, with the same command plus the flag (`process.execve`: the same
 * process id, standard streams and environment; ~20 ms more start-up).
 * Left as it is: a process started with a flag of its own about GC threads
 * (`node --no-single-threaded-gc …` keeps V8's default; `--v8-pool-size` in
 * `NODE_OPTIONS` counts too), one with an IPC channel to its parent
 * (`fork`: the channel would not survive the exec), and platforms without
 * `execve` (Windows). Only the CLI does it: a
 * program that embeds weft owns its process.
 */

import { SERVING_COMMANDS, startFlags } from './young-generation.js'

export const SINGLE_THREADED_GC = '--single-threaded-gc'

/** V8 and Node.js flags that choose how the collector uses threads: a process given one keeps its choice. */
const GC_THREAD_FLAGS = /^--(?:no[-_])?(?:single[-_]threaded|concurrent[-_](?:marking|sweeping)|parallel[-_](?:scavenge|marking|compaction)|v8[-_]pool[-_]size)/

/** What decides whether a server is started again with the flag. */
export interface ProcessFacts {
  /** The CLI's arguments, the command first. */
  args: readonly string[]
  /** Node.js's own flags this process was started with. */
  execArgv: readonly string[]
  /** `NODE_OPTIONS`, where a flag such as `--v8-pool-size` may be given too. */
  nodeOptions?: string
  execPath: string
  /** The CLI's entry script (`process.argv[1]`). */
  script: string
  /** Whether the process has an IPC channel to a parent that forked it. */
  hasIpcChannel: boolean
  /** Whether this Node.js has `process.execve` (not on Windows). */
  canExec: boolean
}

/**
 * The command line (program first) to run this server again with its
 * collector on one thread, or `undefined` to carry on as it is.
 */
export function singleThreadedGcCommand (facts: ProcessFacts): string[] | undefined {
  if (!SERVING_COMMANDS.has(facts.args[0] ?? '')) return undefined
  if (!facts.canExec || facts.hasIpcChannel) return undefined
  if (startFlags(facts.execArgv, facts.nodeOptions).some(arg => GC_THREAD_FLAGS.test(arg))) return undefined
  return [facts.execPath, SINGLE_THREADED_GC, ...facts.execArgv, facts.script, ...facts.args]
}

/**
 * Replaces a `weft start` process with the same command with the collector
 * on one thread; returns (and the server runs with V8's default) where that
 * does not apply or the exec fails.
 */
export function runServerGcOnOneThread (): void {
  const command = singleThreadedGcCommand({
    args: process.argv.slice(2),
    execArgv: process.execArgv,
    nodeOptions: process.env.NODE_OPTIONS,
    execPath: process.execPath,
    script: process.argv[1] ?? '',
    hasIpcChannel: process.channel != null,
    canExec: typeof process.execve === 'function'
  })
  if (command == null) return
  try {
    process.execve?.(command[0], command, process.env)
  } catch {
    // execve(2) failed and this process is as it was: the server runs,
    // with V8's helper threads
  }
}
