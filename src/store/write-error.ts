import { BlockWriteError } from '../errors.js'
import type { CID } from 'multiformats/cid'

/**
 * The `BlockWriteError` for a block whose bytes could not be written: the
 * system error's code where there is one (`ENOSPC`: "the disk is full"), a
 * full browser quota named as such, otherwise the first message along the
 * error's causes (blockstore-fs and blockstore-idb keep only the message of
 * what failed, and a DOMException may carry none).
 */
export function writeError (cid: CID, err: any): BlockWriteError {
  const code = systemErrorCode(err)
  const reason = code === 'ENOSPC'
    ? 'the disk is full'
    : isBrowserQuota(err) ? 'the browser\'s storage for this site is full' : reasonOf(err)
  return new BlockWriteError(cid.toString(), code, reason, { cause: err })
}

/** IndexedDB's DOMException when the site's storage quota is used up, however a store wrapped it. */
function isBrowserQuota (err: any): boolean {
  for (let e = err; e != null; e = e.cause) {
    if (e.name === 'QuotaExceededError' || /QuotaExceededError/.test(String(e.message ?? ''))) return true
  }
  return false
}

/** The first message along the error's causes; its name where none has one (a DOMException may have none). */
function reasonOf (err: any): string {
  for (let e = err; e != null; e = e.cause) {
    if (typeof e.message === 'string' && e.message.trim() !== '') return e.message
  }
  return String(err?.name ?? err)
}

/** `ENOSPC` and friends, from the error or its causes (blockstore-fs keeps only the message). */
function systemErrorCode (err: any): string | undefined {
  for (let e = err; e != null; e = e.cause) {
    if (typeof e.code === 'string' && /^E[A-Z]{3,}$/.test(e.code)) return e.code
    const match = /\b(E[A-Z]{3,})\b/.exec(String(e.message ?? ''))
    if (match != null) return match[1]
  }
  return undefined
}
