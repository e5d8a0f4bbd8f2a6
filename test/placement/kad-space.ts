import { kadId, kadNumber, peerKadId } from '../../src/placement/xor.js'
import { randomPeerId, rawBlock } from '../support/fakes.js'
import type { PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/** A server of a made-up network, with its Kademlia id as a number. */
export interface Server { peer: PeerId, kad: bigint }

/** `n` servers with real PeerIds. */
export async function servers (n: number): Promise<Server[]> {
  return Promise.all(Array.from({ length: n }, async () => {
    const peer = await randomPeerId()
    return { peer, kad: kadNumber(await peerKadId(peer)) }
  }))
}

/** The `count` servers truly closest to `target`, closest first: what any answer must equal. */
export function trueClosest (all: Server[], target: bigint, count: number): PeerId[] {
  return [...all].sort((a, b) => { const d = (a.kad ^ target) - (b.kad ^ target); return d < 0n ? -1 : d > 0n ? 1 : 0 }).slice(0, count).map(s => s.peer)
}

/** The Kademlia target of a DHT key (a block's multihash bytes, a peer's). */
export async function targetOf (key: Uint8Array): Promise<bigint> {
  return kadNumber(await kadId(key))
}

/** `n` distinct block CIDs. */
export async function blockCids (n: number): Promise<CID[]> {
  return Promise.all(Array.from({ length: n }, async (_, i) => (await rawBlock(`block ${i} ${Math.random()}`)).cid))
}
