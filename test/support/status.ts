import type { NodeStatus } from '../../src/index.js'
import type { WeftProcess } from './weft-process.js'

/** How often `statusWhen` asks again. */
const POLL_MS = 100

/**
 * Resolves with a server's `/weft/status.json` once `ready(status)` holds.
 * Another process has no events to await, so this polls, briefly, up to
 * `timeoutMs`, and then fails with the last status it saw.
 */
export async function statusWhen (server: WeftProcess, ready: (status: NodeStatus) => boolean, timeoutMs = 30_000): Promise<NodeStatus> {
  if (server.httpUrl == null) throw new Error('the server has no HTTP: spawn it with http: true')
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const status = await (await fetch(new URL('weft/status.json', server.httpUrl))).json() as NodeStatus
    if (ready(status)) return status
    if (Date.now() > deadline) throw new Error(`server ${server.peerId} never reached the awaited state: ${JSON.stringify(status)}`)
    await new Promise(resolve => setTimeout(resolve, POLL_MS))
  }
}
