import { CustomProgressEvent } from 'progress-events'
import { importContent, type ImportOptions } from '../content/import.js'
import { QuorumNotReachedError, type ShortBlockReport } from '../errors.js'
import { Placer, type BlockPlacement } from '../placement/placer.js'
import { STORE_WINDOW } from '../protocols/limits.js'
import { STORE_PROTOCOL } from '../protocols/store-protocol.js'
import { settlePut, SettleList } from './settle-put.js'
import type { PutOptions, PutResult } from './storage-types.js'
import type { ContentSource } from '../content/source.js'
import type { ReplicaFinder } from '../placement/replica-finder.js'
import type { OpenStream } from '../placement/store-session.js'
import type { LocalBlocks } from '../store/local-blocks.js'
import type { Logger, PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/** Blocks a put hashes and places at once; bounds its memory to this many chunks. */
export const PUT_WINDOW = 16

/** What a put works with: the storage service's parts and settings. */
export interface PutContext {
  blocks: LocalBlocks
  finder: ReplicaFinder
  open: OpenStream
  /** This node, when it holds replicas itself (a server). */
  self?: PeerId
  chunkSize: number
  replication: number
  writeQuorum: number
  /** Keep the uploader's own copy, pinned, to serve (as a cache: the put does not depend on it). */
  keepCopy: boolean
  /** Announces, in the background, that this node holds a whole file (where this node announces at all). */
  announce: (cid: CID) => void
  /** Announces this node as a file's provider and resolves once the record is stored. */
  announceNow: (cid: CID, signal: AbortSignal) => Promise<void>
  log: Logger
}

/** A block that reached fewer replicas than the servers found could give, or met refusals: kept for the report. */
interface ShortBlock { cid: CID, replicas: number, pending: number, refusals: string[] }

/**
 * The replicas every block must reach for this put: `minReplicas` when the
 * caller asked for another number (fewer, on a network smaller than the
 * quorum), else `writeQuorum`. A RangeError names a value that is no
 * whole number from 1 to `replication`.
 */
export function putQuorum (ctx: Pick<PutContext, 'writeQuorum' | 'replication'>, options: Pick<PutOptions, 'minReplicas'>): number {
  const wanted = options.minReplicas
  if (wanted == null) return ctx.writeQuorum
  if (!Number.isSafeInteger(wanted) || wanted < 1 || wanted > ctx.replication) {
    throw new RangeError(`minReplicas must be a whole number from 1 to the replication (${ctx.replication}), got ${wanted}`)
  }
  return wanted
}

/**
 * Chunks content into blocks and stores each at its replica set. Resolves
 * once every block has `writeQuorum` (or `options.minReplicas`) replicas;
 * otherwise rejects with QuorumNotReachedError listing the blocks short of
 * it and why, after trying every block, so one bad block never hides how the
 * rest went. `replicate: false` keeps the file only here, pinned and announced.
 */
export async function putContent (source: ContentSource, ctx: PutContext, options: PutOptions, signal: AbortSignal): Promise<PutResult> {
  if (options.replicate === false) return keepHere(source, ctx, options, signal)
  const quorum = putQuorum(ctx, options)
  const placer = new Placer({
    replication: ctx.replication,
    writeQuorum: quorum,
    finder: ctx.finder,
    open: ctx.open,
    storeProtocol: STORE_PROTOCOL,
    ...(ctx.self != null ? { self: ctx.self } : {}),
    storeHere: async (cid, bytes) => { await ctx.blocks.put(cid, bytes, 'replica', { provisional: true }) },
    // kept for the servers' lease only, until this put finishes and settles them
    provisional: true,
    window: STORE_WINDOW,
    signal
  })
  const settling = new SettleList()
  const short: ShortBlock[] = []
  let blocks = 0
  let pending = 0
  let alreadyStored = 0
  let minReplicas = Infinity
  const blocksByReplicas: Record<number, number> = {}
  let imported
  try {
    imported = await importContent(source, {
      put: async (cid: CID, bytes: Uint8Array): Promise<CID> => {
        await keepCopy(ctx, cid, bytes)
        const placed: BlockPlacement = await placer.place(cid, bytes)
        settling.add(cid, placed.reached)
        blocks++
        pending += placed.pending
        if (!placed.sent) alreadyStored++
        minReplicas = Math.min(minReplicas, placed.replicas)
        blocksByReplicas[placed.replicas] = (blocksByReplicas[placed.replicas] ?? 0) + 1
        // a server refusing each retry the same way is told once
        if (placed.replicas < ctx.replication) short.push({ cid, replicas: placed.replicas, pending: placed.pending, refusals: [...new Set(placed.refusals)] })
        options.onProgress?.(new CustomProgressEvent('weft:put:placed', { cid, replicas: placed.replicas, pending: placed.pending, bytes: bytes.byteLength }))
        return cid
      }
    }, importOptions(ctx, options, signal))
  } finally {
    placer.close()
  }
  const servers = ctx.finder.status().servers + (ctx.self != null ? 1 : 0)
  // the quorum is what the user asked for, never what the lookups happened to see
  assertQuorum(quorum, short, servers)
  // finished: the servers keep its blocks from now on, not for their lease only
  const settled = await settlePut(settling, { open: ctx.open, ...(ctx.self != null ? { self: ctx.self } : {}), blocks: ctx.blocks, log: ctx.log, signal })
  assertSettled(quorum, settling, settled)
  const pinned = await pinCopy(ctx, imported.cid)
  if (pinned) ctx.announce(imported.cid)
  return {
    cid: imported.cid,
    size: imported.size,
    replicas: minReplicas === Infinity ? 0 : minReplicas,
    writeQuorum: quorum,
    blocksByReplicas,
    short: shortReport(short, Math.min(ctx.replication, servers)),
    pending,
    blocks,
    alreadyStored,
    pinned,
    bytesSent: placer.bytesSent
  }
}

/**
 * The blocks to report: those below what the servers found could give
 * (a network of three, replication 5: below 3), counting the pushes on
 * that first holders are still making, and those that met refusals or
 * failures, each with why.
 */
function shortReport (short: ShortBlock[], reachable: number): ShortBlockReport[] {
  return short
    .filter(b => b.replicas + b.pending < reachable || b.refusals.length > 0)
    .map(b => ({ cid: b.cid.toString(), replicas: b.replicas, refusals: b.refusals }))
}

/** `replicate: false`: the only copy is here, so it is stored (not merely cached) and the put is done when others can find it. */
async function keepHere (source: ContentSource, ctx: PutContext, options: PutOptions, signal: AbortSignal): Promise<PutResult> {
  let blocks = 0
  const imported = await importContent(source, {
    put: async (cid: CID, bytes: Uint8Array): Promise<CID> => {
      await ctx.blocks.put(cid, bytes, 'cache')
      blocks++
      options.onProgress?.(new CustomProgressEvent('weft:put:placed', { cid, replicas: 0, pending: 0, bytes: bytes.byteLength }))
      return cid
    }
  }, importOptions(ctx, options, signal))
  await ctx.blocks.pin(imported.cid, { signal })
  await ctx.announceNow(imported.cid, signal)
  return { cid: imported.cid, size: imported.size, replicas: 0, writeQuorum: 0, blocksByReplicas: { 0: blocks }, short: [], pending: 0, blocks, alreadyStored: 0, pinned: true, bytesSent: 0 }
}

function importOptions (ctx: PutContext, options: PutOptions, signal: AbortSignal): ImportOptions {
  return {
    chunkSize: ctx.chunkSize,
    blockWriteConcurrency: PUT_WINDOW,
    signal,
    onBytes: bytes => options.onProgress?.(new CustomProgressEvent('weft:put:read', { bytes }))
  }
}

/** Throws QuorumNotReachedError naming every block with fewer than `writeQuorum` replicas, and why. */
function assertQuorum (writeQuorum: number, placements: ShortBlock[], servers: number): void {
  const short = new Map<string, number>()
  const refusals: string[] = []
  const blocks: ShortBlockReport[] = []
  for (const placed of placements) {
    if (placed.replicas < writeQuorum) {
      short.set(placed.cid.toString(), placed.replicas)
      refusals.push(...placed.refusals)
      blocks.push({ cid: placed.cid.toString(), replicas: placed.replicas, refusals: placed.refusals })
    }
  }
  if (short.size === 0) return
  const found = servers === 0
    ? 'no server found: is this node connected?'
    : servers < writeQuorum
      ? `store on fewer with --min-replicas ${servers} (PutOptions.minReplicas) or a lower storage.writeQuorum`
      : `${servers} servers found`
  const detail = refusals.length > 0 ? `${found}; refusals: ${[...new Set(refusals)].slice(0, 5).join('; ')}` : found
  throw new QuorumNotReachedError(writeQuorum, short, detail, { servers, blocks })
}

/**
 * Throws QuorumNotReachedError naming every block fewer than `quorum`
 * servers said they keep once settled: its provisional copies would run out
 * their lease. Running the put again settles them (it sends only what is missing).
 */
function assertSettled (quorum: number, list: SettleList, settled: Map<string, number>): void {
  const short = new Map<string, number>()
  for (const { cids } of list.byPeer.values()) {
    for (const cid of cids) {
      const kept = settled.get(cid.toString()) ?? 0
      if (kept < quorum) short.set(cid.toString(), kept)
    }
  }
  if (short.size === 0) return
  throw new QuorumNotReachedError(quorum, short, 'the put\'s blocks were stored, but too few servers confirmed its end (settling them): run it again, it sends only what is missing')
}

async function keepCopy (ctx: PutContext, cid: CID, bytes: Uint8Array): Promise<void> {
  if (!ctx.keepCopy) return
  try {
    await ctx.blocks.put(cid, bytes, 'cache')
  } catch (err) {
    ctx.log('not keeping %c locally: %s', cid, (err as Error).message)
  }
}

async function pinCopy (ctx: PutContext, cid: CID): Promise<boolean> {
  if (!ctx.keepCopy) return false
  try {
    await ctx.blocks.pin(cid)
    return true
  } catch (err) {
    ctx.log('could not pin %c locally: %s', cid, (err as Error).message)
    return false
  }
}
