/**
 * CIDs that come from outside: binary CIDs read off the wire from a peer, and
 * CIDs typed by a user; each one checked to be a CID weft can send and verify.
 */

import { bases } from 'multiformats/basics'
import { CID } from 'multiformats/cid'
import { InvalidCIDError, ProtocolError } from '../errors.js'
import { MAX_CID_BYTES, MAX_CIDS_PER_REQUEST } from './limits.js'
import { hashName, SUPPORTED_HASHES } from './verify-block.js'
import type { MultibaseDecoder } from 'multiformats/bases/interface'

/** Every multibase multiformats knows, by prefix, so users may paste a CID in any of them. */
const DECODERS = new Map<string, MultibaseDecoder<string>>(Object.values(bases).map(base => [base.prefix, base.decoder]))

/** How errors name the remote peer. */
export function describePeer (peer: string | undefined): string {
  return peer == null ? 'the remote peer' : `peer ${peer}`
}

/**
 * Decodes a binary CID a remote peer sent. Empty, longer than
 * `MAX_CID_BYTES`, malformed or using a hash weft does not verify: a
 * `ProtocolError` naming the peer.
 */
export function parseCid (bytes: Uint8Array, peer?: string): CID {
  const who = describePeer(peer)
  if (bytes.byteLength === 0) {
    throw new ProtocolError(`${who} sent an empty CID`, peer)
  }
  if (bytes.byteLength > MAX_CID_BYTES) {
    throw new ProtocolError(`${who} sent a CID of ${bytes.byteLength} bytes, more than the ${MAX_CID_BYTES} allowed`, peer)
  }

  let cid: CID
  try {
    cid = CID.decode(bytes)
  } catch (err: any) {
    throw new ProtocolError(`${who} sent a malformed CID: ${err.message}`, peer, { cause: err })
  }

  if (!SUPPORTED_HASHES.has(cid.multihash.code)) {
    throw new ProtocolError(`${who} sent CID ${cid} with the unsupported hash function ${hashName(cid.multihash.code)}`, peer)
  }
  return cid
}

/**
 * Throws `InvalidCIDError` unless weft can send and verify `cid`: at most
 * `MAX_CID_BYTES` long, hashed with sha2-256 or identity.
 */
export function assertSupportedCid (cid: CID): void {
  if (cid.bytes.byteLength > MAX_CID_BYTES) {
    throw new InvalidCIDError(`CID ${cid} is ${cid.bytes.byteLength} bytes long, more than the ${MAX_CID_BYTES} allowed`, cid.toString())
  }
  if (!SUPPORTED_HASHES.has(cid.multihash.code)) {
    throw new InvalidCIDError(`CID ${cid} uses the unsupported hash function ${hashName(cid.multihash.code)}; weft verifies sha2-256 and identity`, cid.toString())
  }
}

/**
 * Checks the CIDs a dialler is about to ask for: 1 to `MAX_CIDS_PER_REQUEST`
 * of them (else a RangeError naming `what`, e.g. "block request"), each one
 * weft can send and verify (else `InvalidCIDError`).
 */
export function assertRequestCids (cids: CID[], what: string): void {
  if (cids.length === 0 || cids.length > MAX_CIDS_PER_REQUEST) {
    throw new RangeError(`a ${what} carries 1 to ${MAX_CIDS_PER_REQUEST} CIDs, not ${cids.length}`)
  }
  cids.forEach(assertSupportedCid)
}

/** A CID received as bytes, for messages: its string form, or what is wrong with it. */
export function describeCid (bytes: Uint8Array): string {
  try {
    return CID.decode(bytes).toString()
  } catch {
    return `${bytes.byteLength} bytes that are not a CID`
  }
}

/**
 * Parses a CID a user typed (CLI, HTTP API): CIDv0 or CIDv1 in any multibase,
 * surrounding whitespace ignored. Throws `InvalidCIDError` naming the text and
 * the reason.
 */
export function parseCidString (text: string): CID {
  const shown = text.length > 100 ? `${text.slice(0, 100)}…` : text
  const invalid = (reason: string, cause?: unknown): InvalidCIDError =>
    new InvalidCIDError(`"${shown}" is not a valid CID: ${reason}`, text, cause == null ? undefined : { cause })

  const trimmed = text.trim()
  if (trimmed === '') {
    throw invalid('it is empty')
  }

  // CIDv0 ("Qm…") has no multibase prefix: CID.parse reads it as base58btc
  const prefix = String.fromCodePoint(trimmed.codePointAt(0) ?? 0)
  const decoder = DECODERS.get(prefix)
  if (decoder == null && prefix !== 'Q') {
    throw invalid(`"${prefix}" is not a multibase prefix`)
  }

  let cid: CID
  try {
    cid = CID.parse(trimmed, decoder)
  } catch (err: any) {
    throw invalid(err.message, err)
  }

  if (cid.bytes.byteLength > MAX_CID_BYTES) {
    throw invalid(`it is ${cid.bytes.byteLength} bytes long, more than the ${MAX_CID_BYTES} allowed`)
  }
  if (!SUPPORTED_HASHES.has(cid.multihash.code)) {
    throw invalid(`it uses the hash function ${hashName(cid.multihash.code)}; weft supports sha2-256 and identity`)
  }
  return cid
}
