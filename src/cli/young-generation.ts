/**
 * V8's young generation for a `weft start` server, which moves blocks: kept
 * at its starting size instead of growing.
 *
 * Serving allocates little JavaScript but megabytes of buffers per block
 * (the block read from disk, each 64 KiB noise frame sealed). Dead buffers
 * are freed only by a garbage collection; with the young generation grown to
 * its 16 MiB semi-spaces by start-up, scavenges were rare and the buffers
 * piled up until their external memory forced full mark-compacts of the whole
 * heap: a seeder serving a 64 MiB get ran 4 of them, ~20-30 % of its CPU in
 * the collector. Kept small, the young generation is scavenged every
 * megabyte or so (cheap: almost nothing in it is alive) and the buffers go
 * with it: no mark-compact during a get, the seeder's CPU per get 0.81×
 * (docs/performance.md, "The CLI get's transfer path, third round"). Since
 * then a 256 MiB get runs ~40 small mark-compacts of buffers promoted
 * between scavenges; run on the main thread alone (`gc-thread.ts`) they
 * cost less than V8's default young generation still does
 * ("A server's garbage collector on one thread").
 *
 * Set through `v8.setFlagsFromString`, which V8 reads each time it would grow
 * the young generation, so it must run before the stack's modules load
 * (`bin.ts`): set once a server had started, it found the semi-spaces grown
 * already and changed nothing. Not for the other commands: start-up itself
 * then scavenges more (a 1 KiB `weft get` took 1.08× the CPU), and a
 * fetcher's buffers live in its read window long enough to survive
 * scavenges anyway. A process started with semi-space flags of its own
 * (`node --max-semi-space-size=...`, `NODE_OPTIONS`) keeps them. Only the
 * CLI sets it: a program that embeds weft (`createNode`) owns its process's
 * heap.
 */

import { setFlagsFromString } from 'node:v8'

/** The V8 flag that keeps it at its starting size. */
export const YOUNG_GENERATION_FLAG = '--semi-space-growth-factor=1'

/** The commands that run a server: their process gets it (and `gc-thread.ts`'s collector on one thread). */
export const SERVING_COMMANDS: ReadonlySet<string> = new Set(['start'])

/** The Node.js and V8 flags a process was started with: its own (`execArgv`) and `NODE_OPTIONS`'. */
export function startFlags (execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  return [...execArgv, ...(nodeOptions ?? '').split(/\s+/).filter(arg => arg !== '')]
}

/** Whether the process was started with semi-space flags of its own. */
function ownFlags (execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  return startFlags(execArgv, nodeOptions).some(arg => /^--(?:(?:max|min)[-_])?semi[-_]space/.test(arg))
}

/**
 * Stops the young generation from growing in a `weft start` process (`args`:
 * the CLI's arguments, the command first), unless the process chose its own
 * semi-space flags. Returns whether it did.
 */
export function keepYoungGenerationSmall (args: readonly string[] = process.argv.slice(2), execArgv: readonly string[] = process.execArgv, nodeOptions: string | undefined = process.env.NODE_OPTIONS): boolean {
  if (!SERVING_COMMANDS.has(args[0] ?? '') || ownFlags(execArgv, nodeOptions)) return false
  setFlagsFromString(YOUNG_GENERATION_FLAG)
  return true
}
