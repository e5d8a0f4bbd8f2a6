import { HAVE_PROTOCOL, requestHave } from '../protocols/have-protocol.js'
import { MAX_CIDS_PER_REQUEST } from '../protocols/limits.js'
import { unreachable } from './unreachable.js'
import type { ReplicaFinder } from './replica-finder.js'
import type { OpenStream } from './store-session.js'
import type { BlockRole } from '../store/local-blocks.js'
import type { PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/** Servers asked at once while counting holders. */
export const CENSUS_CONCURRENCY = 8

/** Blocks whose closest servers are looked up at once. */
export const CENSUS_LOOKUPS = 16

/** How long one server may take to answer a have request before it counts as not holding. */
export const CENSUS_TIMEOUT_MS = 10_000

/** Blocks whose neighbourhood is looked up again, at most, when servers asked about them could not be reached. */
export const CENSUS_RELOOKUPS = 16

/** Of those, looked up at once. */
const RELOOKUPS_AT_ONCE = 4

export interface CensusInit {
  /**
   * Finds each block's closest servers (this node among them when it holds
   * replicas). With `down` and `explore`, servers that cannot be reached
   * are left out and their blocks' neighbourhoods looked up again, so a
   * server gone since the last lookup does not hide one still running.
   */
  finder: Pick<ReplicaFinder, 'candidates'> & Partial<Pick<ReplicaFinder, 'down' | 'explore'>>
  open: OpenStream
  /** This node and its store, when it holds replicas itself (a server verifying). */
  self?: { peer: PeerId, roleOf: (cid: CID) => BlockRole | undefined }
  timeoutMs?: number
  signal: AbortSignal
}

/** Who keeps one block, as its closest servers answered. */
export interface BlockHolders {
  cid: CID
  /** Servers that answered `kept` (a replica or a pin; a cache does not count), closest first. */
  holders: PeerId[]
  /** Servers asked. */
  asked: number
  /** `<peer>: <reason>` for each server that could not be asked or did not answer. */
  failed: string[]
}

/**
 * Counts the servers that keep each block: asks each block's closest
 * servers (the replica set and the spares after it, where repair or an
 * earlier membership may have left replicas) with `/weft/have/1.0.0`,
 * one request per server for up to MAX_CIDS_PER_REQUEST blocks. Nothing is
 * assumed from where blocks should be: a server that is gone, silent or
 * lost a block does not count. Answers in the order of `cids`.
 */
export async function countHolders (cids: CID[], init: CensusInit): Promise<BlockHolders[]> {
  const { signal } = init
  const results: Tally[] = cids.map(cid => ({ cid, holders: [], asked: 0, failed: [], order: [] }))
  const { unreachablePeers, touched } = await countRound(cids.map((_, i) => i), results, init)
  const { down, explore } = init.finder
  if (unreachablePeers.size > 0 && down != null && explore != null) {
    // a lookup that ran while a server was stopping can name it and miss
    // one still running (a small network's lookup is taken as all of it):
    // leave the unreachable out, look again, and ask whoever is new
    for (const peer of unreachablePeers.values()) down.call(init.finder, peer)
    const again = [...touched]
    const relooked = again.slice(0, CENSUS_RELOOKUPS)
    for (let start = 0; start < relooked.length; start += RELOOKUPS_AT_ONCE) {
      await Promise.all(relooked.slice(start, start + RELOOKUPS_AT_ONCE).map(async i => explore.call(init.finder, cids[i].multihash.bytes, signal)))
    }
    await countRound(again, results, init)
  }
  return results.map(({ order, ...result }) => {
    // closest first, however the answers came in
    result.holders.sort((a, b) => order.indexOf(a.toString()) - order.indexOf(b.toString()))
    return result
  })
}

/** One block's count while it is taken: `order` ranks every server asked, the latest lookup's first. */
type Tally = BlockHolders & { order: string[] }

/**
 * Asks the closest servers of the blocks at `indexes` that were not asked
 * before about them; returns the servers that could not be reached.
 */
async function countRound (indexes: number[], results: Tally[], init: CensusInit): Promise<{ unreachablePeers: Map<string, PeerId>, touched: Set<number> }> {
  const { signal } = init
  const unreachablePeers = new Map<string, PeerId>()
  const touched = new Set<number>()
  /** Per server, the blocks to ask it about (indexes into results). */
  const byPeer = new Map<string, { peer: PeerId, blocks: number[] }>()
  for (let start = 0; start < indexes.length; start += CENSUS_LOOKUPS) {
    const slice = indexes.slice(start, start + CENSUS_LOOKUPS)
    const found = await Promise.all(slice.map(async i => init.finder.candidates(results[i].cid, signal)))
    for (const [j, candidates] of found.entries()) {
      const index = slice[j]
      const result = results[index]
      const before = new Set(result.order)
      const ranked = candidates.map(String)
      // the latest ranking first, then any asked before that it left out
      result.order = [...ranked, ...result.order.filter(key => !ranked.includes(key))]
      for (const peer of candidates) {
        const key = peer.toString()
        if (before.has(key)) continue
        result.asked++
        if (init.self?.peer.equals(peer) === true) {
          const role = init.self.roleOf(result.cid)
          if (role != null && role !== 'cache') result.holders.push(peer)
          continue
        }
        let entry = byPeer.get(key)
        if (entry == null) byPeer.set(key, entry = { peer, blocks: [] })
        entry.blocks.push(index)
      }
    }
  }
  const requests: Array<{ peer: PeerId, blocks: number[] }> = []
  for (const { peer, blocks } of byPeer.values()) {
    for (let i = 0; i < blocks.length; i += MAX_CIDS_PER_REQUEST) requests.push({ peer, blocks: blocks.slice(i, i + MAX_CIDS_PER_REQUEST) })
  }
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < requests.length) {
      const { peer, blocks } = requests[next++]
      const asked = blocks.map(i => results[i].cid)
      try {
        const holdings = await ask(peer, asked, init)
        for (const [j, holding] of holdings.entries()) if (holding === 'kept') results[blocks[j]].holders.push(peer)
      } catch (err) {
        signal.throwIfAborted()
        if (unreachable(err)) {
          unreachablePeers.set(peer.toString(), peer)
          for (const i of blocks) touched.add(i)
        }
        for (const i of blocks) results[i].failed.push(`${peer.toString()}: ${(err as Error).message}`)
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(CENSUS_CONCURRENCY, requests.length) }, worker))
  return { unreachablePeers, touched }
}

async function ask (peer: PeerId, cids: CID[], init: CensusInit): Promise<string[]> {
  const signal = AbortSignal.any([init.signal, AbortSignal.timeout(init.timeoutMs ?? CENSUS_TIMEOUT_MS)])
  const stream = await init.open(peer, HAVE_PROTOCOL, signal)
  return requestHave(stream, cids, { signal, peer: peer.toString() })
}
