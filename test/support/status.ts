import type { NodeStatus } from '../../src/index.js'
import type { WeftProcess } from './weft-process.js'

/** How often `statusWhen` asks again. */
const POLL_MS = 100

/**
 * Resolves with `probe()` once `done` holds for it. For state in other
 * processes, which have no events to await: asks again every `intervalMs`,
 * up to `timeoutMs`, and then fails with `describe` of the last answer.
 */
export async function pollUntil<T> (probe: () => Promise<T>, done: (value: T) => boolean, describe: (value: T) => string, options: { timeoutMs: number, intervalMs: number }): Promise<T> {
  const deadline = Date.now() + options.timeoutMs
  for (;;) {
    const value = await probe()
    if (done(value)) return value
    if (Date.now() > deadline) throw new Error(`not reached in ${options.timeoutMs} ms: ${describe(value)}`)
    await new Promise(resolve => setTimeout(resolve, options.intervalMs))
  }
}

/**
 * Resolves with a server's `/weft/status.json` once `ready(status)` holds,
 * asking every POLL_MS up to `timeoutMs`; then fails with the last status.
 */
export async function statusWhen (server: WeftProcess, ready: (status: NodeStatus) => boolean, timeoutMs = 30_000): Promise<NodeStatus> {
  const url = server.httpUrl
  if (url == null) throw new Error('the server has no HTTP: spawn it with http: true')
  return pollUntil(
    async () => await (await fetch(new URL('weft/status.json', url))).json() as NodeStatus,
    ready,
    status => `server ${server.peerId} never reached the awaited state: ${JSON.stringify(status)}`,
    { timeoutMs, intervalMs: POLL_MS })
}
