/**
 * Share links: the page's own address with `#/<cid>` or `#/<cid>/<name>`.
 * The file is named in the fragment, which browsers never send to a server:
 * no server learns which file a link points at.
 */

/** What a share link names: a CID and, if the sharer gave one, a file name. */
export interface SharedFile {
  cid: string
  name?: string
  /** An encrypted file's key (base64url), carried as `?k=` in the fragment only (docs/encryption.md). */
  key?: string
}

/** The share link for `cid` on the page at `pageUrl` (its query string and fragment are dropped). */
export function shareLink (pageUrl: string, file: SharedFile): string {
  const url = new URL(pageUrl)
  // `?db=` and `?transport=` are the sharer's own settings, not the recipient's
  url.search = ''
  url.hash = shareHash(file)
  return url.toString()
}

/** `#/<cid>` or `#/<cid>/<name>`, the name percent-encoded, then `?k=<key>` for an encrypted file. */
export function shareHash ({ cid, name, key }: SharedFile): string {
  const hash = name == null || name === '' ? `#/${cid}` : `#/${cid}/${encodeURIComponent(name)}`
  return key == null ? hash : `${hash}?k=${key}`
}

/** What `node.get` reads for a shared file: its CID, or for an encrypted one the capability `weft:<cid>#k=<key>`. */
export function contentRef ({ cid, key }: SharedFile): string {
  return key == null ? cid : `weft:${cid}#k=${key}`
}

/**
 * Reads a share link's fragment (`#/<cid>[/<name>]`); undefined when it names
 * no file. The CID is not checked here: the node says what is wrong with it.
 */
export function parseShareHash (hash: string): SharedFile | undefined {
  const match = /^#\/([^/?]+)(?:\/([^?]*))?(?:\?(.*))?$/.exec(hash.trim())
  if (match == null) return undefined
  const cid = match[1]
  const name = match[2] == null || match[2] === '' ? undefined : decodeName(match[2])
  // an empty k= is kept: the node says the key is missing
  const key = match[3] == null ? undefined : new URLSearchParams(match[3]).get('k') ?? undefined
  return { cid, ...(name != null ? { name } : {}), ...(key != null ? { key } : {}) }
}

/**
 * What a person typed or pasted into the CID field: a bare CID, or a whole
 * share link (whose fragment names the file).
 */
export function parseCidInput (text: string): SharedFile {
  const trimmed = text.trim()
  const at = trimmed.indexOf('#/')
  if (at >= 0) {
    const shared = parseShareHash(trimmed.slice(at))
    if (shared != null) return shared
  }
  return { cid: trimmed }
}

function decodeName (encoded: string): string {
  try {
    return decodeURIComponent(encoded)
  } catch {
    // a hand-edited link with a stray `%`: the name as it is
    return encoded
  }
}
