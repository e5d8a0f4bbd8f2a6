import { sha256 } from 'multiformats/hashes/sha2'
import type { PeerId } from '@libp2p/interface'

/**
 * The Kademlia id of a DHT key, as kad-dht computes it: the SHA-256 digest of
 * the key's bytes. A peer's key is its multihash bytes.
 */
export async function kadId (key: Uint8Array): Promise<Uint8Array> {
  return (await sha256.digest(key)).digest
}

/** The Kademlia id of a peer. */
export async function peerKadId (peer: PeerId): Promise<Uint8Array> {
  return kadId(peer.toMultihash().bytes)
}

/** Compares the XOR distances of `a` and `b` to `target`: negative when `a` is closer. */
export function compareDistance (target: Uint8Array, a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < target.length; i++) {
    const da = a[i] ^ target[i]
    const db = b[i] ^ target[i]
    if (da !== db) return da - db
  }
  return 0
}

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
