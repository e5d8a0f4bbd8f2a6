import { PUSH_TIMEOUT_MS } from '../placement/placer.js'
import { Slots } from '../placement/slots.js'
import { HAVE_PROTOCOL, requestHave } from '../protocols/have-protocol.js'
import { MAX_CIDS_PER_REQUEST } from '../protocols/limits.js'
import type { OpenStream } from '../placement/store-session.js'
import type { LocalBlocks } from '../store/local-blocks.js'
import type { Logger, PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/** Servers told at once that a put finished. */
export const SETTLE_PEERS_IN_FLIGHT = 8

/** Tries per request before a server is given up on (its provisional copies then run out their lease; repair restores them). */
const SETTLE_ATTEMPTS = 2

/** What a finished put's settling works with. */
export interface SettleContext {
  open: OpenStream
  /** This node, when it holds replicas itself: its share is settled in its own store. */
  self?: PeerId
  blocks: Pick<LocalBlocks, 'settle' | 'roleOf'>
  log: Logger
  signal: AbortSignal
  /** How long one request may take (default PUSH_TIMEOUT_MS). */
  timeoutMs?: number
}

/**
 * Collects, per server, the blocks a put stored or may have stored there:
 * `add` each block's `reached` servers as it is placed.
 */
export class SettleList {
  readonly byPeer = new Map<string, { peer: PeerId, cids: CID[], seen: Set<string> }>()

  add (cid: CID, peers: PeerId[]): void {
    for (const peer of peers) {
      const key = peer.toString()
      let entry = this.byPeer.get(key)
      if (entry == null) {
        entry = { peer, cids: [], seen: new Set() }
        this.byPeer.set(key, entry)
      }
      // a file's repeated chunk is one block, settled and counted once
      if (entry.seen.has(cid.toString())) continue
      entry.seen.add(cid.toString())
      entry.cids.push(cid)
    }
  }
}

/**
 * Tells every server a finished put reached that its blocks are settled
 * (`/weft/have/1.0.0` with `settle`, 64 blocks a request): their
 * provisional replicas become kept ones. Resolves with how many servers
 * answered `kept` for each block (by CID string) once settled; never rejects
 * but for the signal.
 */
export async function settlePut (list: SettleList, ctx: SettleContext): Promise<Map<string, number>> {
  const kept = new Map<string, number>()
  const count = (cid: CID): void => { kept.set(cid.toString(), (kept.get(cid.toString()) ?? 0) + 1) }
  const slots = new Slots(SETTLE_PEERS_IN_FLIGHT)
  await Promise.all([...list.byPeer.values()].map(async ({ peer, cids }) => {
    if (ctx.self?.equals(peer) === true) {
      await ctx.blocks.settle?.(cids, { signal: ctx.signal })
      for (const cid of cids) if (ctx.blocks.roleOf(cid) === 'replica' || ctx.blocks.roleOf(cid) === 'pinned') count(cid)
      return
    }
    await slots.take(ctx.signal)
    try {
      for (let at = 0; at < cids.length; at += MAX_CIDS_PER_REQUEST) {
        const chunk = cids.slice(at, at + MAX_CIDS_PER_REQUEST)
        const holdings = await ask(peer, chunk, ctx)
        if (holdings == null) return
        holdings.forEach((holding, i) => { if (holding === 'kept') count(chunk[i]) })
      }
    } finally {
      slots.give()
    }
  }))
  return kept
}

async function ask (peer: PeerId, cids: CID[], ctx: SettleContext): Promise<string[] | undefined> {
  for (let attempt = 1; ; attempt++) {
    const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(ctx.timeoutMs ?? PUSH_TIMEOUT_MS)])
    try {
      const stream = await ctx.open(peer, HAVE_PROTOCOL, signal)
      return await requestHave(stream, cids, { signal, peer: peer.toString(), settle: true })
    } catch (err) {
      ctx.signal.throwIfAborted()
      if (attempt >= SETTLE_ATTEMPTS) {
        ctx.log('could not settle %d block(s) at %p: %s', cids.length, peer, (err as Error).message)
        return undefined
      }
    }
  }
}
