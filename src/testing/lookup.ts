import type { WeftNode } from '../node/node-types.js'
import type { PeerId } from '@libp2p/interface'

/** What one `getClosestPeers` lookup did, read from kad-dht's query events. */
export interface TracedLookup {
  /** The peers found, closest first. */
  peers: PeerId[]
  /**
   * For each found peer, in the same order, how many sequential rounds of
   * requests it took to learn of it and ask it: 1 for a peer already in the
   * routing table, n + 1 for a peer first named by a peer of round n.
   */
  hops: number[]
  /** FIND_NODE requests sent. */
  requests: number
  /** Requests that failed (timeouts, refused streams). */
  errors: number
  /** Wall-clock time of the whole lookup. */
  ms: number
}

/**
 * Runs `getClosestPeers` on a node's DHT and keeps what the plain API hides:
 * how deep the lookup had to go for each result. kad-dht's events name who
 * answered (`PEER_RESPONSE.from`) and whom it named (`closer`), so a peer's
 * round is one more than the round of the first peer that named it.
 */
export async function tracedLookup (node: WeftNode, key: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<TracedLookup> {
  const round = new Map<string, number>()
  const peers: PeerId[] = []
  let requests = 0
  let errors = 0
  const start = performance.now()
  for await (const event of node.libp2p.services.dht.getClosestPeers(key, { signal: options.signal ?? AbortSignal.timeout(30_000) })) {
    if (event.name === 'SEND_QUERY') {
      requests++
      // asked without having been named in this lookup: it came from the routing table
      if (!round.has(event.to.toString())) round.set(event.to.toString(), 1)
    } else if (event.name === 'PEER_RESPONSE') {
      const next = (round.get(event.from.toString()) ?? 1) + 1
      for (const closer of event.closer) {
        if (!round.has(closer.id.toString())) round.set(closer.id.toString(), next)
      }
    } else if (event.name === 'QUERY_ERROR') {
      errors++
    } else if (event.name === 'FINAL_PEER') {
      peers.push(event.peer.id)
    }
  }
  return {
    peers,
    hops: peers.map(p => round.get(p.toString()) ?? 1),
    requests,
    errors,
    ms: performance.now() - start
  }
}
