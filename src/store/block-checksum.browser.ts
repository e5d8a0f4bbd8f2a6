/**
 * No fast checksum in browsers (Node's zlib is not there): every read of a
 * stored block is hashed against its CID, as before `block-checksum.ts`.
 */
export function blockChecksum (_bytes: Uint8Array): number | undefined {
  return undefined
}
