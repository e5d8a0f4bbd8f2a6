// The IPFS HTTP gateway of a weft server: /ipfs/{cid}[/{path}] answered from the node's verified fetch.

import { BlockNotFoundError, DEFAULT_READ_WINDOW, InvalidCIDError, NotAFileError, readContent } from '../../index.js'
import { carBlocks, carBytes, carContentType, type Block } from './car.js'
import { SNIFF_BYTES, sniffType, typeFromName } from './content-type.js'
import { GatewayError } from './errors.js'
import { FetchLimits } from './limits.js'
import { contentRange, parseRange, unsatisfiedRange } from './ranges.js'
import { parseGatewayRequest, type GatewayRequest } from './request.js'
import { ReadBlocks, resolvePath, type Resolved } from './resolve.js'
import { contentDisposition, directoryListing, IMMUTABLE, sendError, streamBody, writeHead, type ListedEntry } from './responses.js'
import type { BlockSource, WeftStorage } from '../../index.js'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { UnixFSEntry } from 'ipfs-unixfs-exporter'
import type { CID } from 'multiformats/cid'

export interface GatewayInit {
  storage: Pick<WeftStorage, 'blocksOf'>
  /** `http.gatewayTimeoutMs` */
  timeoutMs: number
  /** `http.gatewayMaxBytes` */
  maxBytes: number
}

/** What one request works with. */
interface Exchange {
  req: IncomingMessage
  res: ServerResponse
  request: GatewayRequest
  /** The URL path, for X-Ipfs-Path and listings. */
  ipfsPath: string
  limits: FetchLimits
  blocks: ReadBlocks
  head: boolean
}

/**
 * Answers `GET`/`HEAD /ipfs/{cid}[/{path}]` (docs/gateway.md): files and
 * directories (deserialized), and the trustless gateway's raw blocks and
 * CARs. Blocks come from the node's store or the network, each verified
 * by the fetch session; a request's fetching is bounded by `timeoutMs` of
 * silence and `maxBytes` from the network.
 */
export class Gateway {
  constructor (private readonly init: GatewayInit) {}

  async handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway')
    const closed = new AbortController()
    res.once('close', () => { closed.abort() })
    let limits: FetchLimits | undefined
    try {
      const request = parseGatewayRequest(url.pathname, url.searchParams, req.headers.accept)
      limits = new FetchLimits(this.init.storage.blocksOf(request.cid, { signal: closed.signal }), {
        timeoutMs: this.init.timeoutMs,
        maxBytes: this.init.maxBytes,
        signal: closed.signal
      })
      const exchange: Exchange = { req, res, request, ipfsPath: url.pathname, limits, blocks: new ReadBlocks(limits), head: req.method === 'HEAD' }
      if (request.format === 'raw') await this.raw(exchange)
      else if (request.format === 'car') await this.car(exchange)
      else await this.deserialized(exchange)
    } catch (err) {
      sendError(res, gatewayErrorOf(err, limits))
    } finally {
      limits?.close()
    }
  }

  /** `?format=raw`: the block itself, whatever its codec. */
  private async raw (x: Exchange): Promise<void> {
    const { cid } = x.request
    const etag = `"${cid}.raw"`
    if (notModified(x, etag)) return
    const bytes = await x.blocks.get(cid)
    this.sendBytes(x, bytes, {
      'content-type': 'application/vnd.ipld.raw',
      etag,
      'content-disposition': contentDisposition('attachment', x.request.filename ?? `${cid}.bin`),
      'x-ipfs-roots': cid.toString()
    })
  }

  /** `?format=car`: the path's blocks, then the target's as `dag-scope` and `entity-bytes` say. */
  private async car (x: Exchange): Promise<void> {
    const { cid, car } = x.request
    const etag = `"${cid}.car.${car.scope}${car.entityBytes != null ? `.${car.entityBytes.text}` : ''}.dfs.${car.dups ? 'y' : 'n'}"`
    if (notModified(x, etag)) return
    let target: CID = cid
    let path: Block[] = []
    if (x.request.path.length > 0) {
      const resolved = await resolvePath(cid, x.request.path, x.blocks)
      target = resolved.entry.cid
      path = resolved.path
    }
    // the target's block before the status: a CAR whose root cannot be found is a 404, not an empty 200
    await x.blocks.get(target)
    writeHead(x.res, 200, {
      'content-type': carContentType(car),
      etag,
      'cache-control': IMMUTABLE,
      'accept-ranges': 'none',
      'content-disposition': contentDisposition('attachment', x.request.filename ?? `${cid}.car`),
      'x-ipfs-path': x.ipfsPath,
      vary: 'Accept'
    })
    if (x.head) { x.res.end(); return }
    const blocks = x.blocks
    const seen = new Set<string>()
    const all = async function * (): AsyncGenerator<Block> {
      for (const block of path) {
        if (!car.dups && seen.has(block.cid.toString())) continue
        seen.add(block.cid.toString())
        yield block
      }
      yield * carBlocks(target, car, blocks, seen)
    }
    await streamBody(x.res, carBytes([cid], all()))
  }

  /** The file at the path (its bytes), or the directory (its index.html, or a listing). */
  private async deserialized (x: Exchange): Promise<void> {
    const { cid, path } = x.request
    // no path: the ETag of a file is known before anything is fetched
    if (path.length === 0 && notModified(x, `"${cid}"`)) return
    const resolved = await resolvePath(cid, path, x.blocks)
    const { entry } = resolved
    const roots = [...resolved.path.map(b => b.cid), entry.cid].map(String).join(',')
    if (entry.type === 'directory') {
      if (!x.request.trailingSlash) {
        // relative links in the directory's pages resolve against the slash
        const search = new URL(x.req.url ?? '/', 'http://gateway').search
        writeHead(x.res, 301, { location: `${x.ipfsPath}/${search}`, 'cache-control': IMMUTABLE, 'content-length': 0 })
        x.res.end()
        return
      }
      const index = await indexHtml(entry, x.blocks)
      if (index != null) { await this.file(x, index, 'index.html', roots); return }
      await this.listing(x, entry, roots)
      return
    }
    if (entry.type === 'file' || entry.type === 'raw' || entry.type === 'identity') {
      await this.file(x, entry, x.request.filename ?? path.at(-1), roots)
      return
    }
    throw new GatewayError(406, `/ipfs/${cid}/${path.join('/')} is ${entry.type} data, not a UnixFS file or directory: ask for it with ?format=raw or ?format=car`, entry.type)
  }

  private async file (x: Exchange, entry: UnixFSEntry, name: string | undefined, roots: string): Promise<void> {
    const etag = `"${entry.cid}"`
    if (notModified(x, etag)) return
    const size = Number(entry.size)
    const range = parseRange(x.req.headers.range, size)
    if (range === 'unsatisfiable') {
      throw new GatewayError(416, `range ${x.req.headers.range ?? ''} is outside the file's ${size} bytes`, x.req.headers.range, { headers: { 'content-range': unsatisfiedRange(size) } })
    }
    const start = range?.start ?? 0
    const length = range != null ? range.end - range.start + 1 : size
    // what the path cost the network says whether the file is here: refuse to fetch what is too large
    if (this.init.maxBytes > 0 && length > this.init.maxBytes && x.limits.bytesFetched > 0) {
      throw new GatewayError(403, `${entry.cid} is ${size} bytes and not held by this server, which fetches at most ${this.init.maxBytes} bytes from the network for one request (http.gatewayMaxBytes): ask for a range`, String(size))
    }
    const source = x.blocks.known()
    const type = typeFromName(name) ?? await sniffType(await head(entry.cid, size, source), size <= SNIFF_BYTES)
    const headers: Record<string, string | number> = {
      'content-type': type,
      'content-length': length,
      etag,
      'cache-control': IMMUTABLE,
      'accept-ranges': 'bytes',
      'x-ipfs-path': x.ipfsPath,
      'x-ipfs-roots': roots,
      vary: 'Accept'
    }
    if (range != null) headers['content-range'] = contentRange(range, size)
    if (x.request.download || x.request.filename != null) {
      headers['content-disposition'] = contentDisposition(x.request.download ? 'attachment' : 'inline', name ?? entry.cid.toString())
    }
    writeHead(x.res, range != null ? 206 : 200, headers)
    if (x.head || length === 0) { x.res.end(); return }
    await streamBody(x.res, readContent(entry.cid, source, { offset: start, length, window: DEFAULT_READ_WINDOW, signal: x.limits.signal }))
  }

  private async listing (x: Exchange, entry: UnixFSEntry & { type: 'directory' }, roots: string): Promise<void> {
    const etag = `"DirIndex-${entry.cid}"`
    if (notModified(x, etag)) return
    const entries: ListedEntry[] = []
    for await (const item of entry.entries({ signal: x.limits.signal })) {
      entries.push({ name: item.name, cid: item.cid.toString(), size: Number(item.size) })
    }
    const html = directoryListing(x.ipfsPath, entries)
    writeHead(x.res, 200, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(html),
      etag,
      'cache-control': IMMUTABLE,
      'x-ipfs-path': x.ipfsPath,
      'x-ipfs-roots': roots,
      vary: 'Accept'
    })
    x.res.end(x.head ? undefined : html)
  }

  /** A block (raw answers), whole or the range asked for. */
  private sendBytes (x: Exchange, bytes: Uint8Array, headers: Record<string, string>): void {
    const range = parseRange(x.req.headers.range, bytes.byteLength)
    if (range === 'unsatisfiable') {
      throw new GatewayError(416, `range ${x.req.headers.range ?? ''} is outside the block's ${bytes.byteLength} bytes`, x.req.headers.range, { headers: { 'content-range': unsatisfiedRange(bytes.byteLength) } })
    }
    const body = range != null ? bytes.subarray(range.start, range.end + 1) : bytes
    writeHead(x.res, range != null ? 206 : 200, {
      ...headers,
      'content-length': body.byteLength,
      'cache-control': IMMUTABLE,
      'accept-ranges': 'bytes',
      'x-ipfs-path': x.ipfsPath,
      vary: 'Accept',
      ...(range != null ? { 'content-range': contentRange(range, bytes.byteLength) } : {})
    })
    x.res.end(x.head ? undefined : body)
  }
}

/** A directory's `index.html`, if it has one that is a file. */
async function indexHtml (directory: UnixFSEntry, blocks: ReadBlocks): Promise<UnixFSEntry | undefined> {
  let index: Resolved
  try {
    index = await resolvePath(directory.cid, ['index.html'], blocks)
  } catch (err) {
    if (err instanceof GatewayError && err.status === 404) return undefined
    throw err
  }
  return index.entry.type === 'file' || index.entry.type === 'raw' ? index.entry : undefined
}

/** The first bytes of a file, to sniff its type. */
async function head (cid: CID, size: number, blocks: BlockSource): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  for await (const chunk of readContent(cid, blocks, { length: Math.min(size, SNIFF_BYTES), window: 1 })) chunks.push(chunk)
  return Buffer.concat(chunks)
}

/** Answers 304 when the client's `If-None-Match` holds `etag`: content under a CID never changes. */
function notModified (x: Exchange, etag: string): boolean {
  const header = x.req.headers['if-none-match']
  if (header == null) return false
  const tags = header.split(',').map(t => t.trim().replace(/^W\//, ''))
  if (!tags.includes(etag) && !tags.includes('*')) return false
  writeHead(x.res, 304, { etag, 'cache-control': IMMUTABLE, vary: 'Accept' })
  x.res.end()
  return true
}

/** The answer for what went wrong: the limits' reason first (a fetch they ended fails with an abort). */
function gatewayErrorOf (err: unknown, limits: FetchLimits | undefined): GatewayError {
  if (err instanceof GatewayError) return err
  try {
    limits?.throwIfExceeded()
  } catch (reason) {
    if (reason instanceof GatewayError) return reason
  }
  if (err instanceof BlockNotFoundError) return new GatewayError(404, `not found: ${err.message}`, err.cid, { cause: err })
  if (err instanceof InvalidCIDError) return new GatewayError(400, err.message, err.value, { cause: err })
  if (err instanceof NotAFileError) return new GatewayError(502, err.message, err.cid, { cause: err })
  return new GatewayError(500, `the gateway failed: ${(err as Error)?.message ?? String(err)}`, undefined, { cause: err })
}
