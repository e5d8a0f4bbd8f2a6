import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { streamPair } from '@libp2p/utils'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import type { BlockRole, LocalBlocks, StorageStats } from '../../src/store/local-blocks.js'
import type { Connection, PeerId, Stream, StreamHandler } from '@libp2p/interface'
import type { Clock } from '../../src/placement/byte-rate.js'

const RANK: Record<BlockRole, number> = { cache: 0, replica: 1, pinned: 2 }

/** An in-memory `LocalBlocks` (keyed by CID string) that records every `put` and can be told to fail. */
export class MemoryBlocks implements LocalBlocks {
  readonly blocks = new Map<string, { bytes: Uint8Array, role: BlockRole }>()
  readonly puts: Array<{ cid: CID, bytes: Uint8Array, role: BlockRole }> = []
  /** When set, `put` throws what this returns (or resolves after it when it returns nothing). */
  beforePut: ((cid: CID, bytes: Uint8Array) => Error | undefined | Promise<Error | undefined | void>) | undefined

  constructor (entries: Array<{ cid: CID, bytes: Uint8Array }> = []) {
    for (const { cid, bytes } of entries) this.blocks.set(cid.toString(), { bytes, role: 'pinned' })
  }

  async has (cid: CID): Promise<boolean> {
    return this.blocks.has(cid.toString())
  }

  async get (cid: CID): Promise<Uint8Array | undefined> {
    return this.blocks.get(cid.toString())?.bytes
  }

  async put (cid: CID, bytes: Uint8Array, role: BlockRole): Promise<void> {
    const err = await this.beforePut?.(cid, bytes)
    if (err != null) throw err
    this.puts.push({ cid, bytes, role })
    // like BlockStore, a block put again keeps its strongest role
    const old = this.blocks.get(cid.toString())?.role
    this.blocks.set(cid.toString(), { bytes, role: old != null && RANK[old] > RANK[role] ? old : role })
  }

  async pin (): Promise<void> {}
  async unpin (): Promise<void> {}
  async isPinned (): Promise<boolean> { return false }
  async gc (): Promise<number> { return 0 }

  roleOf (cid: CID): BlockRole | undefined {
    return this.blocks.get(cid.toString())?.role
  }

  * kept (): Iterable<CID> {
    for (const [key, { role }] of this.blocks) {
      if (role !== 'cache') yield CID.parse(key)
    }
  }

  async release (cid: CID): Promise<void> {
    const entry = this.blocks.get(cid.toString())
    if (entry?.role === 'replica') entry.role = 'cache'
  }

  stats (): StorageStats {
    const usedBytes = [...this.blocks.values()].reduce((sum, { bytes }) => sum + bytes.byteLength, 0)
    return { usedBytes, maxBytes: Infinity, blocks: this.blocks.size, pins: 0 }
  }
}

/** A raw block (sha2-256) holding `text`, or `size` bytes derived from it. */
export async function rawBlock (text: string, size?: number): Promise<{ cid: CID, bytes: Uint8Array }> {
  let bytes = new TextEncoder().encode(text)
  if (size != null) {
    const filled = new Uint8Array(size)
    for (let i = 0; i < size; i++) filled[i] = bytes[i % bytes.byteLength]
    bytes = filled
  }
  return { cid: CID.createV1(raw.code, await sha256.digest(bytes)), bytes }
}

export async function randomPeerId (): Promise<PeerId> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
}

/**
 * A connected stream pair whose inbound end is given to `handler` as if
 * `peer` had dialled: returns the dialler's end and the handler's promise.
 */
export async function dialHandler (handler: StreamHandler, peer: PeerId): Promise<{ stream: Stream, inbound: Stream, handled: Promise<void> }> {
  const [stream, inbound] = await streamPair()
  const connection = { remotePeer: peer } as unknown as Connection
  const handled = Promise.resolve(handler(inbound, connection))
  return { stream, inbound, handled }
}

/** Collects an async iterable into an array. */
export async function collect<T> (source: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = []
  for await (const item of source) all.push(item)
  return all
}

/** Resolves once `stream` is closed or aborted, with its final status. */
export async function closed (stream: Stream): Promise<string> {
  if (stream.status !== 'open' && stream.status !== 'closing') return stream.status
  return new Promise(resolve => {
    stream.addEventListener('close', () => { resolve(stream.status) }, { once: true })
  })
}

/** A clock for `ByteRate` that moves only when a sleep on it ends, and records each sleep. */
export function fakeClock (): Clock & { sleeps: number[] } {
  let now = 0
  const sleeps: number[] = []
  return {
    sleeps,
    now: () => now,
    sleep: async (ms) => {
      const from = now
      sleeps.push(ms)
      await Promise.resolve()
      now = Math.max(now, from + ms)
    }
  }
}

