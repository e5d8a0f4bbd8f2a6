import * as dagPb from '@ipld/dag-pb'
import * as raw from 'multiformats/codecs/raw'
import { InvalidCIDError } from '../errors.js'
import type { CID } from 'multiformats/cid'

/** The `identity` multicodec: the CID carries its own bytes, which link nowhere. */
export const IDENTITY_CODEC = 0x00

/** The `identity` multihash: the digest *is* the block; nothing is stored for it. */
export const IDENTITY_HASH = 0x00

/** The `dag-pb` multicodec: blocks that link to others. */
export const DAG_PB_CODE = dagPb.code

/** True when blocks of this CID's codec never link to others, so a walk need not read them. */
export function isLeafCodec (cid: CID): boolean {
  return cid.code === raw.code || cid.code === IDENTITY_CODEC
}

/**
 * The CIDs a block links to, in order (duplicates kept). dag-pb: every
 * `Links[].Hash`; raw and identity: none. Any other codec throws
 * `InvalidCIDError`: weft stores UnixFS DAGs only.
 */
export function dagLinks (cid: CID, bytes: Uint8Array): CID[] {
  if (isLeafCodec(cid)) return []
  if (cid.code !== dagPb.code) {
    throw new InvalidCIDError(`cannot follow the links of block ${cid}: codec 0x${cid.code.toString(16)} is not supported (dag-pb, raw and identity are)`, cid.toString())
  }
  try {
    return dagPb.decode(bytes).Links.map(link => link.Hash)
  } catch (err: any) {
    throw new InvalidCIDError(`block ${cid} is not valid dag-pb: ${err.message}`, cid.toString(), { cause: err })
  }
}
