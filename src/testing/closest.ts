import { compareDistance, kadId, peerKadId } from '../placement/xor.js'
import type { PeerId } from '@libp2p/interface'

export { compareDistance, kadId, peerKadId }

/** A peer with its Kademlia id computed once, for sorting many times. */
export interface KnownPeer {
  id: PeerId
  kadId: Uint8Array
}

/** Pairs each peer with its Kademlia id. */
export async function knownPeers (peers: PeerId[]): Promise<KnownPeer[]> {
  return Promise.all(peers.map(async id => ({ id, kadId: await peerKadId(id) })))
}

/**
 * The `count` peers XOR-closest to a DHT key, closest first: the answer a
 * perfect lookup would give, computed from every peer of a network.
 */
export async function trueClosest (key: Uint8Array, peers: KnownPeer[], count: number): Promise<PeerId[]> {
  const target = await kadId(key)
  return [...peers]
    .sort((a, b) => compareDistance(target, a.kadId, b.kadId))
    .slice(0, count)
    .map(p => p.id)
}
