import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { fallbackRouter } from '@helia/fallback-router'
import { trustlessGatewayBlockBroker } from '@helia/trustless-gateway-client'
import { createVerifiedFetch, type VerifiedFetch } from '@helia/verified-fetch'
import { CarReader } from '@ipld/car'
import { createHeliaLight } from 'helia'
import { importer } from 'ipfs-unixfs-importer'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { importContent } from '../../src/content/import.js'
import { HttpServer } from '../../src/http/server.js'
import { createNode, defaultsFor, type WeftNode } from '../../src/index.js'
import { blockRequestHandler, BLOCK_PROTOCOL } from '../../src/protocols/block-protocol.js'
import { statusWhen } from '../support/status.js'
import { removeDir, spawnServer, tempDir, TEST_HOST, type WeftProcess } from '../support/weft-process.js'
import type { Stream } from '@libp2p/interface'

const run = promisify(execFile)
const MiB = 1_048_576
/** The gateway's time limit in this suite: a block that has not come in this long will not. */
const TIMEOUT_MS = 3000
/** The gateway's limit on what one request fetches from the network. */
const MAX_BYTES = 4 * MiB

function sha256Hex (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** What curl saw: the status line's code, the headers (lower-case names) and the body. */
interface CurlAnswer { status: number, headers: Map<string, string>, body: Buffer }

/** Asks with the system's curl (a client nobody here wrote), headers and body kept apart. */
async function curl (url: string, ...args: string[]): Promise<CurlAnswer> {
  const dir = await tempDir('weft-curl-')
  try {
    const headerFile = join(dir, 'headers')
    const bodyFile = join(dir, 'body')
    await run('curl', ['-sS', '--max-time', '60', '-D', headerFile, '-o', bodyFile, ...args, url])
    const lines = (await readFile(headerFile, 'utf8')).split('\r\n').filter(l => l !== '')
    const headers = new Map<string, string>()
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':')
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim())
    }
    const body = await readFile(bodyFile).catch(() => Buffer.alloc(0))
    return { status: Number(lines[0].split(' ')[1]), headers, body }
  } finally {
    await removeDir(dir)
  }
}

/**
 * A verified-fetch whose only way to blocks is `gateway`, as a trustless
 * gateway. Helia asks its fallback routers only after the others, and with
 * no others its provider search never ends (helia 7.1): the fallback router
 * goes in as a plain one.
 */
async function verifiedFetchThrough (gateway: string): Promise<VerifiedFetch> {
  const router = fallbackRouter({ gateways: [gateway] })
  const helia = await createHeliaLight({
    blockBrokers: [trustlessGatewayBlockBroker({ allowInsecure: true, allowLocal: true })],
    routers: [{ name: 'this-gateway', findProviders: (cid, options) => router.findProviders?.(cid, options) ?? (async function * () {})() }]
  }).start()
  return createVerifiedFetch(helia)
}

describe('the IPFS gateway of a server, for content it fetches from the network', () => {
  let holder: WeftNode
  let holderDir: string
  let gateway: WeftProcess
  let base: string
  let verifiedFetch: VerifiedFetch
  const file = randomBytes(3 * MiB + 123)
  let fileCid: CID
  const large = randomBytes(MAX_BYTES + MiB)
  let largeCid: CID
  const notes = Buffer.from('notes in a directory\n')
  const clip = randomBytes(200_000)
  let dirCid: CID

  before(async () => {
    // the holder: a server node in this process, seeded block by block (weft's put takes files, not directories)
    holderDir = await tempDir('weft-gateway-holder-')
    holder = await createNode({ dataDir: holderDir, listen: [`/ip4/${TEST_HOST}/tcp/0`], http: { enabled: false }, storage: { repairIntervalMs: 0 } })
    const blocks = holder.libp2p.services.storage.blocks
    const store = { put: async (cid: CID, bytes: Uint8Array) => { await blocks.put(cid, bytes, 'replica'); return cid } }
    fileCid = (await importContent(file, store)).cid
    largeCid = (await importContent(large, store)).cid
    let last: CID | undefined
    for await (const entry of importer([
      { path: 'notes.txt', content: notes },
      { path: 'media/clip.mp4', content: clip }
    ], store as any, { cidVersion: 1, rawLeaves: true, wrapWithDirectory: true })) last = entry.cid
    dirCid = last as CID
    // the gateway: a `weft start` process that holds none of it
    gateway = await spawnServer({
      http: true,
      bootstrap: [holder.getMultiaddrs()[0].toString()],
      args: ['--http.gateway-timeout-ms', String(TIMEOUT_MS), '--http.gateway-max-bytes', String(MAX_BYTES)]
    })
    base = gateway.httpUrl ?? ''
    await statusWhen(gateway, status => status.routingTableSize >= 1)
    verifiedFetch = await verifiedFetchThrough(base)
  })

  after(async () => {
    await verifiedFetch?.stop()
    await gateway?.stop()
    await holder?.stop()
    if (gateway != null) await removeDir(gateway.dataDir)
    if (holderDir != null) await removeDir(holderDir)
  })

  it('curl gets a whole file, byte for byte, with the headers of an immutable, sandboxed answer', async () => {
    const answer = await curl(`${base}ipfs/${fileCid}`)
    assert.equal(answer.status, 200)
    assert.equal(sha256Hex(answer.body), sha256Hex(file))
    assert.equal(answer.headers.get('content-length'), String(file.byteLength))
    assert.equal(answer.headers.get('content-type'), 'application/octet-stream')
    assert.equal(answer.headers.get('etag'), `"${fileCid}"`)
    assert.equal(answer.headers.get('cache-control'), 'public, max-age=29030400, immutable')
    assert.equal(answer.headers.get('accept-ranges'), 'bytes')
    assert.equal(answer.headers.get('content-security-policy'), 'sandbox')
    assert.equal(answer.headers.get('x-content-type-options'), 'nosniff')
  })

  it('curl gets a range across a block boundary as a 206 with exactly those bytes', async () => {
    const start = MiB - 100
    const end = 2 * MiB + 50
    const answer = await curl(`${base}ipfs/${fileCid}`, '-r', `${start}-${end}`)
    assert.equal(answer.status, 206)
    assert.equal(answer.headers.get('content-range'), `bytes ${start}-${end}/${file.byteLength}`)
    assert.equal(answer.headers.get('content-length'), String(end - start + 1))
    assert.ok(answer.body.equals(file.subarray(start, end + 1)))
  })

  it('a range starting past the end is a 416 naming the size', async () => {
    const answer = await curl(`${base}ipfs/${fileCid}`, '-r', `${file.byteLength}-`)
    assert.equal(answer.status, 416)
    assert.equal(answer.headers.get('content-range'), `bytes */${file.byteLength}`)
  })

  it('If-None-Match with the ETag is answered 304, without a body', async () => {
    const answer = await curl(`${base}ipfs/${fileCid}`, '-H', `If-None-Match: "${fileCid}"`)
    assert.equal(answer.status, 304)
    assert.equal(answer.body.byteLength, 0)
  })

  it('a directory is listed as HTML with a link per entry; without its slash it redirects to it', async () => {
    const redirect = await curl(`${base}ipfs/${dirCid}`)
    assert.equal(redirect.status, 301)
    assert.equal(redirect.headers.get('location'), `/ipfs/${dirCid}/`)
    const listing = await curl(`${base}ipfs/${dirCid}/`)
    assert.equal(listing.status, 200)
    assert.equal(listing.headers.get('content-type'), 'text/html; charset=utf-8')
    assert.equal(listing.headers.get('content-security-policy'), 'sandbox')
    const html = listing.body.toString()
    assert.match(html, /<a href="notes.txt">notes.txt<\/a>/)
    assert.match(html, /<a href="media">media<\/a>/)
  })

  it('a path names a file in a directory, typed by its name', async () => {
    const text = await curl(`${base}ipfs/${dirCid}/notes.txt`)
    assert.equal(text.status, 200)
    assert.equal(text.headers.get('content-type'), 'text/plain; charset=utf-8')
    assert.ok(text.body.equals(notes))
    const video = await curl(`${base}ipfs/${dirCid}/media/clip.mp4`, '-I')
    assert.equal(video.status, 200)
    assert.equal(video.headers.get('content-type'), 'video/mp4')
    assert.equal(video.headers.get('content-length'), String(clip.byteLength))
    const missing = await curl(`${base}ipfs/${dirCid}/media/nothing.mp4`)
    assert.equal(missing.status, 404)
    assert.match(missing.body.toString(), /nothing\.mp4/)
  })

  it('@helia/verified-fetch, with this server as its only gateway, gets the file and a file by path byte for byte', async () => {
    const whole = await verifiedFetch(`ipfs://${fileCid}`)
    assert.equal(whole.status, 200)
    assert.equal(sha256Hex(new Uint8Array(await whole.arrayBuffer())), sha256Hex(file))
    const byPath = await verifiedFetch(`ipfs://${dirCid}/media/clip.mp4`)
    assert.equal(byPath.status, 200)
    assert.ok(Buffer.from(await byPath.arrayBuffer()).equals(clip))
  })

  it('?format=raw returns the block itself: the bytes verified-fetch checks against the CID', async () => {
    const ours = await fetch(`${base}ipfs/${fileCid}?format=raw`)
    assert.equal(ours.status, 200)
    assert.equal(ours.headers.get('content-type'), 'application/vnd.ipld.raw')
    const bytes = new Uint8Array(await ours.arrayBuffer())
    assert.deepEqual((await sha256.digest(bytes)).digest, fileCid.multihash.digest)
    const theirs = await verifiedFetch(`ipfs://${fileCid}`, { headers: { accept: 'application/vnd.ipld.raw' } })
    assert.equal(theirs.status, 200)
    assert.deepEqual(new Uint8Array(await theirs.arrayBuffer()), bytes)
  })

  it('?format=car returns every block of the DAG, each matching its CID, enough to rebuild the file', async () => {
    const answer = await fetch(`${base}ipfs/${fileCid}?format=car`)
    assert.equal(answer.status, 200)
    assert.equal(answer.headers.get('content-type'), 'application/vnd.ipld.car; version=1; order=dfs; dups=n')
    const car = await CarReader.fromBytes(new Uint8Array(await answer.arrayBuffer()))
    assert.deepEqual((await car.getRoots()).map(String), [fileCid.toString()])
    const blocks = []
    for await (const block of car.blocks()) {
      assert.deepEqual((await sha256.digest(block.bytes)).digest, block.cid.multihash.digest, `block ${block.cid} matches its CID`)
      blocks.push(block)
    }
    assert.equal(blocks.length, 5)
    // verified-fetch over a store holding just those blocks, and a network with no one in it, reads the file whole
    const offline = await createHeliaLight({
      blockBrokers: [trustlessGatewayBlockBroker()],
      routers: [{ name: 'no-one', findProviders: async function * () {} }]
    }).start()
    for (const block of blocks) await offline.blockstore.put(block.cid, block.bytes)
    const rebuilt = await createVerifiedFetch(offline)
    try {
      const read = await rebuilt(`ipfs://${fileCid}`)
      assert.equal(sha256Hex(new Uint8Array(await read.arrayBuffer())), sha256Hex(file))
    } finally {
      await rebuilt.stop()
    }
  })

  it('entity-bytes gives the blocks verified-fetch itself would put in that CAR, and dag-scope=block the root alone', async () => {
    const range = `${MiB + 10}:${2 * MiB + 10}`
    const cidsOf = async (response: Response): Promise<string[]> => {
      const car = await CarReader.fromBytes(new Uint8Array(await response.arrayBuffer()))
      const cids: string[] = []
      for await (const cid of car.cids()) cids.push(cid.toString())
      return cids.sort()
    }
    const ours = await cidsOf(await fetch(`${base}ipfs/${fileCid}?format=car&entity-bytes=${range}`))
    const theirs = await cidsOf(await verifiedFetch(`ipfs://${fileCid}?format=car&dag-scope=entity&entity-bytes=${range}`, { headers: { accept: 'application/vnd.ipld.car; order=dfs; dups=n' } }))
    assert.equal(ours.length, 3, 'the root and the two leaves the range touches')
    assert.deepEqual(ours, theirs)
    assert.deepEqual(await cidsOf(await fetch(`${base}ipfs/${fileCid}?format=car&dag-scope=block`)), [fileCid.toString()])
  })

  it('a CID no peer holds is a 404', async () => {
    const nobody = CID.createV1(raw.code, await sha256.digest(randomBytes(32)))
    const answer = await curl(`${base}ipfs/${nobody}`)
    assert.equal(answer.status, 404)
    assert.match(answer.body.toString(), new RegExp(`not found: block ${nobody}`))
  })

  it('a bad CID is a 400 naming it', async () => {
    const answer = await curl(`${base}ipfs/bafy-not-a-cid`)
    assert.equal(answer.status, 400)
    assert.match(answer.body.toString(), /"bafy-not-a-cid" is not a valid CID/)
  })

  it('a file larger than the gateway fetches for one request is a 403 naming the limit; a range of it is served', async () => {
    const whole = await curl(`${base}ipfs/${largeCid}`)
    assert.equal(whole.status, 403)
    assert.match(whole.body.toString(), /http\.gatewayMaxBytes/)
    const part = await curl(`${base}ipfs/${largeCid}`, '-r', `${2 * MiB}-${3 * MiB - 1}`)
    assert.equal(part.status, 206)
    assert.ok(part.body.equals(large.subarray(2 * MiB, 3 * MiB)))
  })

  it('a block the network does not send within the time limit is a 504', async () => {
    // the holder turns silent: it takes block requests and never answers
    const silent: Stream[] = []
    await holder.libp2p.unhandle(BLOCK_PROTOCOL)
    await holder.libp2p.handle(BLOCK_PROTOCOL, stream => { silent.push(stream) }, { runOnLimitedConnection: true })
    try {
      const asked = CID.createV1(raw.code, await sha256.digest(randomBytes(32)))
      const started = Date.now()
      const answer = await curl(`${base}ipfs/${asked}`)
      assert.equal(answer.status, 504)
      assert.match(answer.body.toString(), new RegExp(`no block arrived from the network for ${TIMEOUT_MS} ms`))
      assert.ok(Date.now() - started >= TIMEOUT_MS)
    } finally {
      silent.forEach(stream => { stream.abort(new Error('test over')) })
      await holder.libp2p.unhandle(BLOCK_PROTOCOL)
      await holder.libp2p.handle(BLOCK_PROTOCOL, blockRequestHandler(holder.libp2p.services.storage.blocks), { runOnLimitedConnection: true })
    }
  })
})

describe('http.gateway', () => {
  it('is on by default on servers and off on pages', () => {
    assert.equal(defaultsFor('server').http.gateway, true)
    assert.equal(defaultsFor('browser').http.gateway, false)
  })

  it('false leaves /ipfs/ unanswered, saying which setting turned it off, and the page still served', async () => {
    const node = await createNode({ listen: [], http: { enabled: false, gateway: false } }, { inMemory: true })
    const http = new HttpServer(node)
    try {
      const url = await http.listen('127.0.0.1', 0)
      const answer = await fetch(`${url}ipfs/${CID.createV1(raw.code, await sha256.digest(randomBytes(8)))}`)
      assert.equal(answer.status, 404)
      assert.match(await answer.text(), /http\.gateway false/)
      assert.equal((await fetch(`${url}weft/bootstrap.json`)).status, 200)
    } finally {
      await http.close()
      await node.stop()
    }
  })
})
