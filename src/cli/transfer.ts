import { multiaddr } from '@multiformats/multiaddr'
import { UsageError } from '../errors.js'
import type { WeftConfig } from '../config/config.js'
import type { WeftNode } from '../index.js'

// What `weft put` and `weft get` share: their flags, their arguments and
// joining the network with a transient node.

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
    throw new UsageError('no bootstrap peer to join the network through: pass --bootstrap MULTIADDR (/ip4/HOST/tcp/PORT/p2p/ID), a server\'s URL (--bootstrap http://HOST:PORT) or a running server\'s data directory (--bootstrap DIR, or --data DIR), or set "bootstrap" in the config file or WEFT_BOOTSTRAP')
  }
}

/**
 * Connects a fresh node to the network and waits until it has joined
 * (`WeftNode.joined`: every connected DHT server in the routing table): dials
 * every bootstrap peer at once, and waits once one answers. Not for kad-dht's
 * first self-lookup: the node looks up one key and exits, and that lookup
 * walks from the bootstrap peers as the self-lookup would (waiting for it was
 * one lookup more before the first byte, ~60 ms of a 1 KiB get's ~350;
 * docs/performance.md, "The bundled CLI"). All within `connections.dialTimeoutMs`; past it,
 * the storage operation runs anyway and reports what it could not find.
 * Throws, naming each address and why, when no bootstrap peer can be reached.
 */
export async function joinNetwork (node: WeftNode, signal: AbortSignal): Promise<void> {
  const addrs = node.config.bootstrap
  const timeoutMs = node.config.connections.dialTimeoutMs
  const started = Date.now()
  const deadline = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)])
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
  await node.joined({ selfLookup: false, signal, timeoutMs: Math.max(1, timeoutMs - (Date.now() - started)) }).catch(err => {
    if (err?.name !== 'JoinTimeoutError') throw err
  })
}

/** Why a dial failed, in a few words: libp2p wraps the socket's error. */
function dialFailure (err: any, signal: AbortSignal): string {
  if (signal.aborted && err?.name === 'AbortError') return 'timed out'
  const inner = Array.isArray(err?.errors) && err.errors.length > 0 ? err.errors[0] : err?.cause ?? err
  const text = inner?.code ?? inner?.message ?? err?.message ?? String(err)
  return String(text)
}
