import type { WeftNode } from './weft-node.js'

/**
 * Resolves when kad-dht's first self-lookup on `node` has finished. kad-dht
 * runs it by itself, once the routing table has a peer, and announces it
 * with `kad-dht:query:self`; if none is announced within `waitMs` (it
 * failed, and kad-dht says nothing), an explicit lookup of the node's id
 * takes its place. A lookup that fails then only leaves the routing table
 * thinner: the node has still joined. Listen before the node has a peer,
 * or the event may have passed.
 */
export async function selfLookupDone (node: WeftNode, waitMs: number): Promise<void> {
  const target = node.libp2p as unknown as EventTarget
  let onSelf: () => void = () => {}
  const announced = new Promise<boolean>(resolve => {
    onSelf = () => { resolve(true) }
    target.addEventListener('kad-dht:query:self', onSelf, { once: true })
  })
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<boolean>(resolve => { timer = setTimeout(() => { resolve(false) }, waitMs) })
  try {
    if (!await Promise.race([announced, late])) {
      await node.getClosestPeers(node.peerId.toMultihash().bytes, { signal: AbortSignal.timeout(Math.max(1, waitMs)) }).catch(() => [])
    }
  } finally {
    clearTimeout(timer)
    target.removeEventListener('kad-dht:query:self', onSelf)
  }
}
