import { multiaddr } from '@multiformats/multiaddr'
import { UsageError } from '../errors.js'
import type { WeftConfig } from '../config/config.js'
import type { WeftNode } from '../node/weft-node.js'

// What `weft put` and `weft get` share: their flags, their arguments and
// joining the network with a transient node.

/** How often `joinNetwork` looks whether the DHT has learned of a server yet. */
const ROUTING_POLL_MS = 25

/** Flags `put` and `get` share beyond the settings. */
export const TRANSFER_FLAGS = {
  quiet: { type: 'boolean', short: 'q' }
} as const

/** The single positional argument a command takes; a UsageError otherwise. */
export function onePositional (positionals: string[], what: string, usage: string): string {
  if (positionals.length === 0) throw new UsageError(`missing ${what}; usage: ${usage}`)
  if (positionals.length > 1) throw new UsageError(`expected one ${what}, got ${positionals.length}: ${positionals.join(' ')}`, positionals.join(' '))
  return positionals[0]
}

/** `put` and `get` join through bootstrap peers: without any there is nothing to join. */
export function requireBootstrap (config: WeftConfig): void {
  if (config.bootstrap.length === 0) {
    throw new UsageError('no bootstrap peer to join the network through: pass --bootstrap MULTIADDR (a server\'s address with /p2p/<id>), or set "bootstrap" in the config file or WEFT_BOOTSTRAP')
  }
}

/**
 * Connects a fresh node to the network and waits until its DHT can look
 * things up: dials every bootstrap peer at once; once one answers, waits for
 * kad-dht's first self-lookup and for the routing table to hold every DHT
 * server that lookup connected to (kad-dht pings a peer before adding it, and
 * a lookup that starts from a thinner table finds fewer of a block's closest
 * servers). All within `connections.dialTimeoutMs`; past it, the storage
 * operation runs anyway and reports what it could not find. Throws, naming
 * each address and why, when no bootstrap peer can be reached.
 */
export async function joinNetwork (node: WeftNode, signal: AbortSignal): Promise<void> {
  const addrs = node.config.bootstrap
  const deadline = AbortSignal.any([signal, AbortSignal.timeout(node.config.connections.dialTimeoutMs)])
  const events = node.libp2p as unknown as EventTarget
  let onSelfQuery = (): void => {}
  const selfQueried = new Promise<void>(resolve => { onSelfQuery = resolve })
  events.addEventListener('kad-dht:query:self', onSelfQuery, { once: true })
  try {
    const reasons: string[] = []
    try {
      await Promise.any(addrs.map(async addr => {
        try {
          await node.dial(multiaddr(addr), { signal: deadline })
        } catch (err) {
          reasons.push(`${addr}: ${dialFailure(err, deadline)}`)
          throw err
        }
      }))
    } catch {
      signal.throwIfAborted()
      throw new Error(`cannot reach any bootstrap peer: ${reasons.join('; ')}`)
    }
    const late = aborted(deadline)
    await Promise.race([selfQueried, late])
    while (!deadline.aborted && node.status().routingTableSize < await connectedDhtServers(node)) {
      await Promise.race([delay(ROUTING_POLL_MS), late])
    }
    signal.throwIfAborted()
  } finally {
    events.removeEventListener('kad-dht:query:self', onSelfQuery)
  }
}

/** Connected peers that answer DHT queries (servers), at least 1. */
async function connectedDhtServers (node: WeftNode): Promise<number> {
  let count = 0
  for (const peer of node.libp2p.getPeers()) {
    const known = await node.libp2p.peerStore.get(peer).catch(() => undefined)
    if (known?.protocols.includes(node.config.dht.protocol) === true) count++
  }
  return Math.max(count, 1)
}

async function delay (ms: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms))
}

/** Resolves (never rejects) when `signal` aborts. */
async function aborted (signal: AbortSignal): Promise<void> {
  if (signal.aborted) return
  await new Promise<void>(resolve => { signal.addEventListener('abort', () => { resolve() }, { once: true }) })
}

/** Why a dial failed, in a few words: libp2p wraps the socket's error. */
function dialFailure (err: any, signal: AbortSignal): string {
  if (signal.aborted && err?.name === 'AbortError') return 'timed out'
  const inner = Array.isArray(err?.errors) && err.errors.length > 0 ? err.errors[0] : err?.cause ?? err
  const text = inner?.code ?? inner?.message ?? err?.message ?? String(err)
  return String(text)
}
