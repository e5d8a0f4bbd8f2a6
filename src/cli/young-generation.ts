/**
 * V8's young generation for the CLI's processes, which move blocks
 * (`weft start`, `weft get`, `weft put`): kept at its starting size instead
 * of growing.
 *
 * A transfer allocates little JavaScript but megabytes of buffers per block
 * (the block read from disk, each 64 KiB noise frame sealed or opened). Dead
 * buffers are freed only by a garbage collection; with the young generation
 * grown to its 16 MiB semi-spaces, scavenges came a few times per second and
 * the buffers piled up until their external memory forced full mark-compacts
 * of the whole heap: a seeder serving a 64 MiB get ran 4 of them and spent
 * ~30 % of its CPU in the collector. Kept small, the young generation is
 * scavenged every megabyte or so (cheap: almost nothing in it is alive) and
 * the buffers go with it; the seeder's CPU per get halved (docs/performance.md,
 * "The transfer path, 2026-12-02").
 *
 * Set through `v8.setFlagsFromString`, which V8 reads each time it would grow
 * the young generation, so it must run before the stack's modules load
 * (`bin.ts`): set once a server had started, it found the semi-spaces grown
 * to 16 MiB by the loading and changed nothing. A process started with its
 * own semi-space flags (`node --semi-space-growth-factor=...`,
 * `NODE_OPTIONS`) keeps them. Only the CLI sets it: a program that embeds
 * weft (`createNode`) owns its process's heap.
 */

import { setFlagsFromString } from 'node:v8'

const FLAG = '--semi-space-growth-factor=1'

/** Whether the process was started with semi-space flags of its own. */
function ownFlags (execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  return [...execArgv, ...(nodeOptions ?? '').split(/\s+/)].some(arg => /^--(?:(?:max|min)[-_])?semi[-_]space/.test(arg))
}

/** Stops the young generation from growing, unless the process chose its own semi-space flags. Returns whether it did. */
export function keepYoungGenerationSmall (execArgv: readonly string[] = process.execArgv, nodeOptions: string | undefined = process.env.NODE_OPTIONS): boolean {
  if (ownFlags(execArgv, nodeOptions)) return false
  setFlagsFromString(FLAG)
  return true
}
