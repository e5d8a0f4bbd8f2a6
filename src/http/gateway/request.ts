// What an /ipfs/ request asks for: the CID, the path below it, and the response format.

import { InvalidCIDError, parseCidString } from '../../index.js'
import { GatewayError } from './errors.js'
import type { CID } from 'multiformats/cid'

/** The URL prefix the gateway answers. */
export const GATEWAY_PREFIX = '/ipfs/'

export const RAW_MEDIA_TYPE = 'application/vnd.ipld.raw'
export const CAR_MEDIA_TYPE = 'application/vnd.ipld.car'

/** `deserialized`: the file's bytes or a directory listing; `raw`: one block; `car`: blocks of the DAG. */
export type ResponseFormat = 'deserialized' | 'raw' | 'car'

/** Which blocks of the DAG at the end of the path a CAR carries (trustless gateway spec, `dag-scope`). */
export type DagScope = 'block' | 'entity' | 'all'

/**
 * `entity-bytes=from:to`: inclusive byte offsets into a file; a negative one
 * counts from the end, `to` may be `*` (the end).
 */
export interface EntityBytes {
  from: number
  to: number | '*'
  /** As given, for the ETag. */
  text: string
}

export interface CarOptions {
  scope: DagScope
  entityBytes?: EntityBytes
  /** Whether a block met twice in the walk is sent twice (`dups=y`); default no. */
  dups: boolean
}

export interface GatewayRequest {
  cid: CID
  /** The path below the CID, segment by segment, percent-decoded. */
  path: string[]
  /** The URL's path ends in `/` (a directory asked for as one). */
  trailingSlash: boolean
  format: ResponseFormat
  car: CarOptions
  /** `?filename=`: the name to offer in Content-Disposition. */
  filename?: string
  /** `?download=true`: ask the browser to save rather than show. */
  download: boolean
}

/**
 * Reads an `/ipfs/{cid}[/{path}]` request: `pathname` as it came (still
 * percent-encoded, so an encoded `/` inside a name stays in the name),
 * the query, and the `Accept` header. `?format=` wins over `Accept`, as
 * the spec says. Throws `GatewayError` 400 naming a bad CID, format,
 * `dag-scope` or `entity-bytes`, and 406 for a CAR version other than 1.
 */
export function parseGatewayRequest (pathname: string, query: URLSearchParams, accept: string | undefined): GatewayRequest {
  if (!pathname.startsWith(GATEWAY_PREFIX)) throw new GatewayError(400, `ask for /ipfs/{cid} or /ipfs/{cid}/{path}, not ${pathname}`, pathname)
  const [cidText, ...rest] = pathname.slice(GATEWAY_PREFIX.length).split('/')
  const cid = parseCid(decode(cidText))
  const path = rest.filter(segment => segment !== '').map(decode)
  const trailingSlash = pathname.endsWith('/') && rest.length > 0
  const negotiated = formatOf(query.get('format'), accept)
  if (negotiated.format === 'raw' && path.length > 0) {
    throw new GatewayError(400, `a raw block is asked for by its CID alone (/ipfs/${cid}?format=raw), not with a path: /${path.join('/')}`, path.join('/'))
  }
  const car = carOptions(query, negotiated.dups)
  const filename = query.get('filename')
  return {
    cid,
    path,
    trailingSlash,
    format: negotiated.format,
    car,
    ...(filename != null && filename !== '' ? { filename } : {}),
    download: query.get('download') === 'true'
  }
}

function decode (segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    throw new GatewayError(400, `the path segment "${segment}" is not valid percent-encoding`, segment)
  }
}

function parseCid (text: string): CID {
  try {
    return parseCidString(text)
  } catch (err) {
    if (err instanceof InvalidCIDError) throw new GatewayError(400, err.message, text, { cause: err })
    throw err
  }
}

/** The format from `?format=`, else from the first `Accept` entry (by q) the gateway gives. */
function formatOf (format: string | null, accept: string | undefined): { format: ResponseFormat, dups?: boolean } {
  if (format != null) {
    if (format === 'raw' || format === 'car') return { format }
    throw new GatewayError(400, `format "${format}" is not one this gateway gives: ask for raw or car, or leave it out for the file itself`, format)
  }
  for (const entry of acceptEntries(accept ?? '')) {
    if (entry.type === RAW_MEDIA_TYPE) return { format: 'raw' }
    if (entry.type === CAR_MEDIA_TYPE) {
      const version = entry.params.get('version')
      if (version != null && version !== '1') throw new GatewayError(406, `CAR version ${version} is not available: this gateway writes CARv1`, version)
      const dups = entry.params.get('dups')
      return { format: 'car', ...(dups === 'y' || dups === 'n' ? { dups: dups === 'y' } : {}) }
    }
  }
  return { format: 'deserialized' }
}

interface AcceptEntry { type: string, q: number, params: Map<string, string> }

/** `Accept` entries, highest q first (ties keep their order). */
function acceptEntries (accept: string): AcceptEntry[] {
  const entries: AcceptEntry[] = []
  for (const part of accept.split(',')) {
    const [type, ...params] = part.split(';').map(s => s.trim())
    if (type === '') continue
    const map = new Map<string, string>()
    for (const param of params) {
      const eq = param.indexOf('=')
      if (eq > 0) map.set(param.slice(0, eq).trim().toLowerCase(), param.slice(eq + 1).trim().replace(/^"|"$/g, ''))
    }
    const q = Number(map.get('q') ?? '1')
    entries.push({ type: type.toLowerCase(), q: Number.isFinite(q) ? q : 0, params: map })
  }
  return entries.filter(e => e.q > 0).sort((a, b) => b.q - a.q)
}

function carOptions (query: URLSearchParams, acceptDups: boolean | undefined): CarOptions {
  const scope = query.get('dag-scope')
  if (scope != null && scope !== 'block' && scope !== 'entity' && scope !== 'all') {
    throw new GatewayError(400, `dag-scope "${scope}" is none of block, entity, all`, scope)
  }
  const version = query.get('car-version')
  if (version != null && version !== '1') throw new GatewayError(406, `CAR version ${version} is not available: this gateway writes CARv1`, version)
  const dupsParam = query.get('car-dups')
  if (dupsParam != null && dupsParam !== 'y' && dupsParam !== 'n') throw new GatewayError(400, `car-dups "${dupsParam}" is neither y nor n`, dupsParam)
  const dups = dupsParam != null ? dupsParam === 'y' : acceptDups ?? false
  const bytes = query.get('entity-bytes')
  if (bytes == null) return { scope: scope ?? 'all', dups }
  // entity-bytes implies dag-scope=entity
  return { scope: 'entity', entityBytes: parseEntityBytes(bytes), dups }
}

/** `from:to`, each a whole number (negative: from the end), `to` may be `*`. */
export function parseEntityBytes (text: string): EntityBytes {
  const match = /^(-?\d+):(-?\d+|\*)$/.exec(text)
  if (match == null) throw new GatewayError(400, `entity-bytes "${text}" is not from:to (whole numbers, negative from the end, to may be *)`, text)
  const from = Number(match[1])
  const to = match[2] === '*' ? '*' : Number(match[2])
  if (!Number.isSafeInteger(from) || (to !== '*' && !Number.isSafeInteger(to))) {
    throw new GatewayError(400, `entity-bytes "${text}" has a number too large`, text)
  }
  return { from, to, text }
}

/**
 * The half-open byte range [start, end) that `entity-bytes` names in a file
 * of `size` bytes, clipped to the file; empty (start >= end) when it lies
 * outside it or has no bytes.
 */
export function entityRange (bytes: EntityBytes | undefined, size: number): { start: number, end: number } {
  if (bytes == null) return { start: 0, end: size }
  const start = bytes.from < 0 ? Math.max(0, size + bytes.from) : bytes.from
  const last = bytes.to === '*' ? size - 1 : bytes.to < 0 ? size - 1 + bytes.to : bytes.to
  return { start: Math.min(start, size), end: Math.min(size, last + 1) }
}
