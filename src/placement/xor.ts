import { sha256 } from 'multiformats/hashes/sha2'
import type { PeerId } from '@libp2p/interface'

/**
 * The Kademlia id of a DHT key, as kad-dht computes it: the SHA-256 digest of
 * the key's bytes. A peer's key is its multihash bytes; a block's key is its
 * CID's multihash bytes (so CIDv0 and CIDv1 of one block share a replica set).
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

/** Sorts peers by XOR distance to a DHT key, closest first. */
export async function byDistance (key: Uint8Array, peers: PeerId[]): Promise<PeerId[]> {
  const target = await kadId(key)
  const withIds = await Promise.all(peers.map(async id => ({ id, kad: await peerKadId(id) })))
  return withIds.sort((a, b) => compareDistance(target, a.kad, b.kad)).map(p => p.id)
}

/** A Kademlia id as a number, for XOR distances by arithmetic (sums and differences, as the region test needs). */
export function kadNumber (kad: Uint8Array): bigint {
  let n = 0n
  for (const byte of kad) n = (n << 8n) | BigInt(byte)
  return n
}
