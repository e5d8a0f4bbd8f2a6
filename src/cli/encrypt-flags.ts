import { openAsBlob } from 'node:fs'
import { basename } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { CAPABILITY_SCHEME, formatShareLink, parseCapability, type Capability } from '../content/capability.js'
import { parseGetTarget, type GetTarget } from './target.js'
import { loadConvergenceSecret } from '../content/encryption/convergence-secret.js'
import { UsageError } from '../errors.js'
import type { WeftConfig } from '../config/config.js'
import type { NodePutOptions } from '../node/node-types.js'
import type { ContentSource } from '../content/source.js'
import type { PutResult } from '../services/storage-types.js'

// What `weft put --encrypt` and `weft get <capability>` add to put and get
// (docs/encryption.md): the flags, the encryption options and the output.

/** Flags of `weft put` for private sharing. */
export const ENCRYPT_FLAGS = {
  encrypt: { type: 'boolean' },
  convergent: { type: 'boolean' },
  page: { type: 'string' }
} as const

export const ENCRYPT_USAGE = '[--encrypt [--convergent] [--page URL]]'

/** An encrypted put's options, or undefined for a plain one; the source to read (a Blob for a convergent put, which reads the file twice). */
export async function encryptedPut (extra: Record<string, unknown>, config: WeftConfig, path: string, source: ContentSource): Promise<{ encrypt?: NodePutOptions['encrypt'], source: ContentSource }> {
  const convergent = extra.convergent === true
  // a bad --page fails before the put, not after it
  if (typeof extra.page === 'string' && !URL.canParse(extra.page)) throw new UsageError(`--page must be a URL, got "${extra.page}"`, extra.page)
  if (extra.encrypt !== true) {
    if (convergent || extra.page != null) throw new UsageError('--convergent and --page go with --encrypt')
    return { source }
  }
  const name = path === '-' ? undefined : basename(path)
  if (!convergent) return { encrypt: name != null ? { name } : true, source }
  if (path === '-') throw new UsageError('--convergent reads the file twice (to derive its key, then to encrypt it): give a FILE, not stdin')
  return { encrypt: { name: basename(path), convergenceSecret: await loadConvergenceSecret(config.dataDir) }, source: await openAsBlob(path) }
}

/**
 * What an encrypted put prints on stdout: the capability alone with
 * --quiet, else a link to the page (`--page URL`, default the first
 * bootstrap server's own page) with the key in its fragment.
 */
export function encryptedPutOutput (result: PutResult, extra: Record<string, unknown>, config: WeftConfig, path: string): string | undefined {
  const capability = result.capability == null ? undefined : parseCapability(result.capability)
  if (capability == null || result.capability == null) return undefined
  if (extra.quiet === true) return result.capability
  const page = typeof extra.page === 'string' ? extra.page : pageOf(config)
  const named: Capability = path === '-' ? capability : { ...capability, name: basename(path) }
  return formatShareLink(page, named)
}

/** The page a bootstrap server serves: `http://<its host>:<http.port>/`. */
function pageOf (config: WeftConfig): string {
  const first = config.bootstrap[0]
  let host = '127.0.0.1'
  try {
    const parts = multiaddr(first).getComponents()
    const named = parts.find(p => ['ip4', 'ip6', 'dns', 'dns4', 'dns6'].includes(p.name))
    if (named?.value != null) host = named.name === 'ip6' ? `[${named.value}]` : named.value
  } catch {}
  return `http://${host}:${config.http.port}/`
}

/**
 * What `weft get` reads: a capability (a link with `?k=`, or `weft:<cid>#k=`)
 * decrypts, and a link's server and name are read as for any share link;
 * anything else is `parseGetTarget`'s.
 */
export function getTargetOf (text: string): { target: GetTarget, capability?: Capability } {
  const capability = parseCapability(text)
  if (capability == null) return { target: parseGetTarget(text) }
  if (text.trim().toLowerCase().startsWith(CAPABILITY_SCHEME)) return { target: { cid: capability.cid }, capability }
  // the link without its key: the page's share link it is
  return { target: parseGetTarget(text.trim().replace(/\?[^#]*$/, '')), capability }
}
