import { base64url } from 'multiformats/bases/base64'
import { InvalidCapabilityError, MissingKeyError } from './encryption/errors.js'
import { KEY_BYTES } from './encryption/keys.js'

/**
 * Capabilities: what it takes to read an encrypted file, as one string. The
 * key travels only in a URL fragment, which browsers never send to a server
 * (docs/encryption.md):
 *
 *   compact:  weft:<cid>#k=<key>
 *   link:     https://page.example/#/<cid>/<name>?k=<key>
 *
 * The key is 32 bytes in unpadded base64url (43 characters).
 */

/** What a capability names: the ciphertext's CID, the file key and, in a link, the name the sharer gave. */
export interface Capability {
  cid: string
  key: Uint8Array
  name?: string
}

export const CAPABILITY_SCHEME = 'weft:'

/** The key as a capability writes it: unpadded base64url. */
export function formatKey (key: Uint8Array): string {
  return base64url.baseEncode(key)
}

/** A key as a capability writes it; InvalidCapabilityError unless it is 32 base64url bytes. */
export function parseKey (text: string, whole: string): Uint8Array {
  let key: Uint8Array
  try {
    key = base64url.baseDecode(text)
  } catch {
    throw new InvalidCapabilityError(`the key in "${whole}" is not base64url`, whole)
  }
  if (key.byteLength !== KEY_BYTES) throw new InvalidCapabilityError(`the key in "${whole}" is ${key.byteLength} bytes, not ${KEY_BYTES}`, whole)
  return key
}

/** `weft:<cid>#k=<key>` */
export function formatCapability (cap: Capability): string {
  return `${CAPABILITY_SCHEME}${cap.cid}#k=${formatKey(cap.key)}`
}

/** The page at `pageUrl` (its query and fragment dropped) with `#/<cid>[/<name>]?k=<key>`. */
export function formatShareLink (pageUrl: string, cap: Capability): string {
  const url = new URL(pageUrl)
  url.search = ''
  url.hash = capabilityHash(cap)
  return url.toString()
}

/** `#/<cid>[/<name>]?k=<key>`, the name percent-encoded. */
export function capabilityHash (cap: Capability): string {
  const name = cap.name == null || cap.name === '' ? '' : `/${encodeURIComponent(cap.name)}`
  return `#/${cap.cid}${name}?k=${formatKey(cap.key)}`
}

/**
 * Reads a capability: `weft:<cid>#k=<key>`, or any link whose fragment is
 * `#/<cid>[/<name>]?k=<key>`. Undefined for anything else (a bare CID, a
 * plain share link without `k`). MissingKeyError for a `weft:` capability or
 * a link with an empty `k=`; InvalidCapabilityError for a malformed one.
 */
export function parseCapability (text: string): Capability | undefined {
  const trimmed = text.trim()
  if (trimmed.toLowerCase().startsWith(CAPABILITY_SCHEME)) return parseCompact(trimmed)
  const at = trimmed.indexOf('#/')
  if (at < 0) return undefined
  const match = /^#\/([^/?]+)(?:\/([^?]*))?(?:\?(.*))?$/.exec(trimmed.slice(at))
  if (match == null || match[3] == null) return undefined
  const params = new URLSearchParams(match[3])
  if (!params.has('k')) return undefined
  const k = params.get('k') ?? ''
  if (k === '') throw new MissingKeyError(`the link "${trimmed}" has an empty key (k=): the file is encrypted and cannot be read without it`, trimmed)
  const name = match[2] == null || match[2] === '' ? undefined : decodeName(match[2])
  return { cid: match[1], key: parseKey(k, trimmed), ...(name != null ? { name } : {}) }
}

function parseCompact (text: string): Capability {
  const rest = text.slice(CAPABILITY_SCHEME.length)
  const hash = rest.indexOf('#')
  const cid = hash < 0 ? rest : rest.slice(0, hash)
  if (cid === '') throw new InvalidCapabilityError(`"${text}" names no CID: a capability is weft:<cid>#k=<key>`, text)
  const k = hash < 0 ? '' : new URLSearchParams(rest.slice(hash + 1)).get('k') ?? ''
  if (k === '') throw new MissingKeyError(`"${text}" carries no key: a capability is weft:<cid>#k=<key>`, text)
  return { cid, key: parseKey(k, text) }
}

function decodeName (encoded: string): string {
  try {
    return decodeURIComponent(encoded)
  } catch {
    return encoded
  }
}
