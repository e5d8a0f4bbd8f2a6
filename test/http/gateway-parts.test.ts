import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { importer } from 'ipfs-unixfs-importer'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { importContent } from '../../src/content/import.js'
import { carBlocks } from '../../src/http/gateway/car.js'
import { sniffType, typeFromName } from '../../src/http/gateway/content-type.js'
import { GatewayError } from '../../src/http/gateway/errors.js'
import { FetchLimits } from '../../src/http/gateway/limits.js'
import { parseRange } from '../../src/http/gateway/ranges.js'
import { entityRange, parseEntityBytes, parseGatewayRequest } from '../../src/http/gateway/request.js'
import { ReadBlocks, resolvePath } from '../../src/http/gateway/resolve.js'
import type { BlockSource } from '../../src/fetch/block-source.js'
import type { DagBlocks } from '../../src/services/storage-types.js'

const CID_TEXT = 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku'

function request (path: string, query = '', accept?: string): ReturnType<typeof parseGatewayRequest> {
  return parseGatewayRequest(path, new URLSearchParams(query), accept)
}

function gatewayError (status: number, pattern: RegExp, value?: string): (err: unknown) => true {
  return (err) => {
    assert.ok(err instanceof GatewayError, String(err))
    assert.equal(err.name, 'GatewayError')
    assert.equal(err.status, status)
    assert.match(err.message, pattern)
    if (value != null) assert.equal(err.value, value)
    return true
  }
}

describe('gateway requests', () => {
  it('name a CID and a percent-decoded path', () => {
    const parsed = request(`/ipfs/${CID_TEXT}/a%20dir/clip.mp4`)
    assert.equal(parsed.cid.toString(), CID_TEXT)
    assert.deepEqual(parsed.path, ['a dir', 'clip.mp4'])
    assert.equal(parsed.format, 'deserialized')
    assert.equal(request(`/ipfs/${CID_TEXT}/dir/`).trailingSlash, true)
    assert.equal(request(`/ipfs/${CID_TEXT}`).trailingSlash, false)
  })

  it('take the format from ?format= before Accept, and from Accept by q', () => {
    assert.equal(request(`/ipfs/${CID_TEXT}`, 'format=raw', 'application/vnd.ipld.car').format, 'raw')
    assert.equal(request(`/ipfs/${CID_TEXT}`, '', 'application/vnd.ipld.raw').format, 'raw')
    assert.equal(request(`/ipfs/${CID_TEXT}`, '', 'application/vnd.ipld.raw;q=0.5, application/vnd.ipld.car').format, 'car')
    assert.equal(request(`/ipfs/${CID_TEXT}`, '', 'text/html,*/*').format, 'deserialized')
    assert.equal(request(`/ipfs/${CID_TEXT}`, '', 'application/vnd.ipld.car; dups=y').car.dups, true)
    assert.equal(request(`/ipfs/${CID_TEXT}`, 'format=car').car.dups, false)
  })

  it('read dag-scope, and entity-bytes as implying the entity scope', () => {
    assert.equal(request(`/ipfs/${CID_TEXT}`, 'format=car').car.scope, 'all')
    assert.equal(request(`/ipfs/${CID_TEXT}`, 'format=car&dag-scope=block').car.scope, 'block')
    const ranged = request(`/ipfs/${CID_TEXT}`, 'format=car&entity-bytes=10:*').car
    assert.equal(ranged.scope, 'entity')
    assert.deepEqual(ranged.entityBytes, { from: 10, to: '*', text: '10:*' })
  })

  it('refuse a bad CID, format, scope or entity-bytes with a 400 naming it', () => {
    assert.throws(() => request('/ipfs/not-a-cid'), gatewayError(400, /"not-a-cid" is not a valid CID/, 'not-a-cid'))
    assert.throws(() => request('/ipfs/'), gatewayError(400, /is empty/))
    assert.throws(() => request(`/ipfs/${CID_TEXT}`, 'format=tar'), gatewayError(400, /format "tar"/, 'tar'))
    assert.throws(() => request(`/ipfs/${CID_TEXT}`, 'format=car&dag-scope=most'), gatewayError(400, /dag-scope "most"/, 'most'))
    assert.throws(() => request(`/ipfs/${CID_TEXT}`, 'format=car&entity-bytes=1-2'), gatewayError(400, /entity-bytes "1-2"/, '1-2'))
    assert.throws(() => request(`/ipfs/${CID_TEXT}/x`, 'format=raw'), gatewayError(400, /by its CID alone/))
    assert.throws(() => request(`/ipfs/${CID_TEXT}/%E0%A4%A`), gatewayError(400, /percent-encoding/))
    assert.throws(() => request(`/ipfs/${CID_TEXT}`, '', 'application/vnd.ipld.car; version=2'), gatewayError(406, /CAR version 2/, '2'))
  })
})

describe('ranges', () => {
  it('read one range of bytes: from-to, from-, and the last N', () => {
    assert.deepEqual(parseRange('bytes=10-19', 100), { start: 10, end: 19 })
    assert.deepEqual(parseRange('bytes=90-', 100), { start: 90, end: 99 })
    assert.deepEqual(parseRange('bytes=-5', 100), { start: 95, end: 99 })
    assert.deepEqual(parseRange('bytes=95-500', 100), { start: 95, end: 99 })
    assert.deepEqual(parseRange('bytes=0-1, 5-6', 100), { start: 0, end: 1 }, 'the first of several')
  })

  it('ignore what is not a byte range, and call a start past the end unsatisfiable', () => {
    assert.equal(parseRange(undefined, 100), undefined)
    assert.equal(parseRange('items=1-2', 100), undefined)
    assert.equal(parseRange('bytes=5-2', 100), undefined)
    assert.equal(parseRange('bytes=100-', 100), 'unsatisfiable')
    assert.equal(parseRange('bytes=-0', 100), 'unsatisfiable')
  })

  it('entity-bytes are inclusive, count negatives from the end, and clip to the file', () => {
    assert.deepEqual(entityRange(parseEntityBytes('0:*'), 100), { start: 0, end: 100 })
    assert.deepEqual(entityRange(parseEntityBytes('10:19'), 100), { start: 10, end: 20 })
    assert.deepEqual(entityRange(parseEntityBytes('-10:*'), 100), { start: 90, end: 100 })
    assert.deepEqual(entityRange(parseEntityBytes('49:-10'), 100), { start: 49, end: 90 })
    assert.deepEqual(entityRange(parseEntityBytes('50:500'), 100), { start: 50, end: 100 })
    const outside = entityRange(parseEntityBytes('200:*'), 100)
    assert.ok(outside.start >= outside.end)
  })
})

describe('content types', () => {
  it('come from the name when it has a known extension', () => {
    assert.equal(typeFromName('clip.mp4'), 'video/mp4')
    assert.equal(typeFromName('song.MP3'), 'audio/mpeg')
    assert.equal(typeFromName('notes.txt'), 'text/plain; charset=utf-8')
    assert.equal(typeFromName('README'), undefined)
    assert.equal(typeFromName(undefined), undefined)
  })

  it('are sniffed from the first bytes otherwise', async () => {
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0])
    assert.equal(await sniffType(png, true), 'image/png')
    assert.equal(await sniffType(new TextEncoder().encode('%PDF-1.7\n'), false), 'application/pdf')
    assert.equal(await sniffType(new TextEncoder().encode('<!doctype html><p>hi'), true), 'text/html; charset=utf-8')
    assert.equal(await sniffType(new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>'), true), 'image/svg+xml')
    assert.equal(await sniffType(new TextEncoder().encode('{"a": [1, 2]}'), true), 'application/json')
    assert.equal(await sniffType(new TextEncoder().encode('plain words, ünïcode'), true), 'text/plain; charset=utf-8')
    assert.equal(await sniffType(Uint8Array.from([0, 1, 2, 3, 250, 251]), true), 'application/octet-stream')
  })
})

/** A file's blocks in memory, 1 KiB leaves, and a source over them that counts what is asked. */
async function smallFile (size: number): Promise<{ root: CID, source: BlockSource, blocks: Map<string, Uint8Array> }> {
  const blocks = new Map<string, Uint8Array>()
  const bytes = Uint8Array.from({ length: size }, (_, i) => i % 251)
  const { cid } = await importContent(bytes, { put: async (c: CID, b: Uint8Array) => { blocks.set(c.toString(), b); return c } }, { chunkSize: 1024 })
  return { root: cid, blocks, source: { get: async cid => blocks.get(cid.toString()) ?? assert.fail(`no block ${cid}`) } }
}

async function walk (root: CID, source: BlockSource, query: string): Promise<string[]> {
  const { car } = request(`/ipfs/${root}`, `format=car&${query}`)
  const cids: string[] = []
  for await (const block of carBlocks(root, car, source, new Set())) cids.push(block.cid.toString())
  return cids
}

describe('the blocks of a CAR', () => {
  it('dag-scope=all: every block, root first, leaves in file order', async () => {
    const { root, source, blocks } = await smallFile(10 * 1024)
    const cids = await walk(root, source, 'dag-scope=all')
    assert.equal(cids.length, 11)
    assert.equal(cids[0], root.toString())
    assert.deepEqual(new Set(cids), new Set(blocks.keys()))
  })

  it('entity-bytes: the root and only the leaves the range touches', async () => {
    const { root, source } = await smallFile(10 * 1024)
    const all = await walk(root, source, 'dag-scope=all')
    assert.deepEqual(await walk(root, source, 'entity-bytes=1500:2500'), [all[0], all[2], all[3]])
    assert.deepEqual(await walk(root, source, 'entity-bytes=-100:*'), [all[0], all[10]])
    assert.deepEqual(await walk(root, source, 'entity-bytes=20000:*'), [all[0]], 'outside the file: the root alone, as dag-scope=block')
    assert.deepEqual(await walk(root, source, 'dag-scope=block'), [all[0]])
  })

  it('a raw block is its own entity', async () => {
    const bytes = new TextEncoder().encode('one block')
    const cid = CID.createV1(raw.code, await sha256.digest(bytes))
    assert.deepEqual(await walk(cid, { get: async () => bytes }, 'dag-scope=entity'), [cid.toString()])
  })
})

/** A DAG source whose fetches finish only when `release` is called (or their signal aborts). */
function heldBlocks (): { blocks: DagBlocks, release: (bytes: number) => void } {
  const counters = { blocksFetched: 0, bytesFetched: 0, blocksLocal: 0, dropped: 0 }
  const waiting: Array<() => void> = []
  return {
    blocks: {
      counters,
      get: async (_cid, options) => new Promise<Uint8Array>((resolve, reject) => {
        options?.signal?.addEventListener('abort', () => { reject(options.signal?.reason) }, { once: true })
        waiting.push(() => { resolve(new Uint8Array(1)) })
      })
    },
    release: (bytes) => {
      counters.bytesFetched += bytes
      waiting.shift()?.()
    }
  }
}

describe('fetch limits', () => {
  const cid = CID.parse(CID_TEXT)

  it('end a fetch on which no block has arrived for the time limit with a 504', async () => {
    const { blocks } = heldBlocks()
    const limits = new FetchLimits(blocks, { timeoutMs: 100, maxBytes: 0, signal: new AbortController().signal })
    await assert.rejects(limits.get(cid), gatewayError(504, /no block arrived from the network for 100 ms \(http.gatewayTimeoutMs\)/))
    assert.ok(limits.signal.aborted)
  })

  it('do not count the time when nothing is being fetched', async (t) => {
    // the limit's own timer is what is under test: time is moved, not waited out
    t.mock.timers.enable({ apis: ['setTimeout'] })
    const { blocks, release } = heldBlocks()
    const limits = new FetchLimits(blocks, { timeoutMs: 100, maxBytes: 0, signal: new AbortController().signal })
    const first = limits.get(cid)
    release(1)
    await first
    // longer than the limit with nothing asked: a slow reader, not a slow network
    t.mock.timers.tick(200)
    const second = limits.get(cid)
    release(1)
    await second
    assert.equal(limits.signal.aborted, false)
    limits.close()
  })

  it('end the request with a 403 once the network has sent more than the byte limit', async () => {
    const { blocks, release } = heldBlocks()
    const limits = new FetchLimits(blocks, { timeoutMs: 10_000, maxBytes: 1000, signal: new AbortController().signal })
    const fetched = limits.get(cid)
    release(1001)
    await fetched
    assert.throws(() => { limits.throwIfExceeded() }, gatewayError(403, /more than the gateway's limit of 1000 \(http.gatewayMaxBytes\)/))
    await assert.rejects(limits.get(cid), gatewayError(403, /http.gatewayMaxBytes/))
    limits.close()
  })
})

describe('paths through a HAMT-sharded directory', () => {
  /** A directory of 40 small files, sharded (the threshold set low), its blocks in memory. */
  async function shardedDirectory (): Promise<{ root: CID, blocks: Map<string, Uint8Array> }> {
    const blocks = new Map<string, Uint8Array>()
    const store = { put: async (c: CID, b: Uint8Array) => { blocks.set(c.toString(), b); return c } }
    const files = Array.from({ length: 40 }, (_, i) => ({ path: `file-${i}.txt`, content: new TextEncoder().encode(`file ${i}\n`) }))
    let root: CID | undefined
    for await (const entry of importer(files, store as any, { cidVersion: 1, rawLeaves: true, wrapWithDirectory: true, shardSplitThresholdBytes: 100, shardFanoutBits: 4 })) root = entry.cid
    return { root: root as CID, blocks }
  }

  it('resolve to the file, with the shards on the way as the path\'s blocks', async () => {
    const { root, blocks } = await shardedDirectory()
    const read = new ReadBlocks({ get: async cid => blocks.get(cid.toString()) ?? assert.fail(`no block ${cid}`) })
    const { entry, path } = await resolvePath(root, ['file-7.txt'], read)
    assert.equal(entry.type, 'raw')
    assert.equal(entry.cid.toString(), CID.createV1(raw.code, await sha256.digest(new TextEncoder().encode('file 7\n'))).toString())
    assert.equal(path[0].cid.toString(), root.toString())
    assert.ok(path.every(block => !block.cid.equals(entry.cid)), 'the entry\'s own block is not among the path\'s')
    await assert.rejects(resolvePath(root, ['file-99.txt'], read), gatewayError(404, /file-99\.txt/))
  })

  it('give as the entity the directory\'s shards, not its files', async () => {
    const { root, blocks } = await shardedDirectory()
    const source: BlockSource = { get: async cid => blocks.get(cid.toString()) ?? assert.fail(`no block ${cid}`) }
    const entity = await walk(root, source, 'dag-scope=entity')
    const all = await walk(root, source, 'dag-scope=all')
    assert.ok(entity.length > 1, 'the root shard and its sub-shards')
    assert.equal(all.length, entity.length + 40, 'all adds the 40 files')
    assert.deepEqual(new Set(all), new Set(blocks.keys()))
  })
})
