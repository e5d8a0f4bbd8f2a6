import { byteChunks, type FileContent } from '../source.js'
import { encodeFixedHeader, encodeMetadata, FIXED_HEADER_BYTES, TAG_BYTES, type FileMetadata, type KeyMode } from './format.js'
import { aesSeal } from './aes-gcm.js'
import { deriveFileKeys, metadataNonce, randomKey, randomSalt, recordNonce, type FileKeys } from './keys.js'
import { release } from './release.js'

export interface EncryptOptions extends FileMetadata {
  /**
   * The ciphertext leaf size: the chunk size the ciphertext is imported
   * with. Every record but the last is exactly this long, so each leaf is
   * one record.
   */
  recordSize: number
  /** The file key (32 bytes); default a fresh random one. Give `salt` with it. */
  key?: Uint8Array
  /** The per-file salt (16 bytes); default a fresh random one. */
  salt?: Uint8Array
  /** How `key` was made, recorded in the header: `convergent` when derived from the content. */
  mode?: KeyMode
}

export interface Encrypted {
  /** The file key: what a capability carries. */
  key: Uint8Array
  /** The ciphertext, streamed: a record's worth of plaintext in memory at a time. */
  ciphertext: AsyncGenerator<Uint8Array>
}

/**
 * Encrypts content as it is read (docs/encryption.md): the header (salt, key
 * check, the encrypted name and type), then each record sealed with
 * AES-256-GCM under a nonce of its index and is-last flag. Memory is bounded
 * by two records, whatever the size of the content.
 */
export async function encryptContent (source: FileContent, options: EncryptOptions): Promise<Encrypted> {
  const key = options.key ?? randomKey()
  const salt = options.salt ?? randomSalt()
  const keys = await deriveFileKeys(key, salt)
  const header = await sealHeader(key, salt, keys, options)
  if (options.recordSize < header.byteLength + TAG_BYTES + 1) {
    throw new RangeError(`a record size of ${options.recordSize} bytes leaves no room after the ${header.byteLength}-byte header`)
  }
  return { key, ciphertext: sealRecords(source, header, keys, options.recordSize) }
}

async function sealHeader (key: Uint8Array, salt: Uint8Array, keys: FileKeys, options: EncryptOptions): Promise<Uint8Array> {
  const metadata = encodeMetadata(options)
  const metaNonce = await metadataNonce(key, metadata)
  const fixed = encodeFixedHeader({
    mode: options.mode ?? 'random',
    recordSize: options.recordSize,
    salt,
    check: keys.check,
    metaNonce,
    metaLength: metadata.byteLength + TAG_BYTES
  })
  const sealed = await aesSeal(keys.meta, metaNonce, metadata, fixed)
  const header = new Uint8Array(FIXED_HEADER_BYTES + sealed.byteLength)
  header.set(fixed)
  header.set(sealed, FIXED_HEADER_BYTES)
  return header
}

/** Seals one record. */
export async function sealRecord (keys: FileKeys, index: number, last: boolean, plain: Uint8Array): Promise<Uint8Array> {
  const iv = recordNonce(keys.noncePrefix, index, last)
  return aesSeal(keys.data, iv, plain)
}

/**
 * Seals a full record assembled in memory of ours, then frees that memory
 * (it is held nowhere else, and the cipher has read it): a stream's records
 * leave no 1 MiB buffer each for the garbage collector.
 */
async function sealAndRelease (keys: FileKeys, index: number, plain: Uint8Array): Promise<Uint8Array> {
  const sealed = await sealRecord(keys, index, false, plain)
  release(plain)
  return sealed
}

/**
 * The header, then the records. A full record is sealed only once a byte
 * past it arrived (or the source ended), so the last record is known; while
 * one record is being sealed the next fills. A record that lies whole in one
 * of the source's chunks is sealed from that chunk, not copied first (a put
 * of bytes in memory copies nothing before the cipher).
 */
async function * sealRecords (source: FileContent, header: Uint8Array, keys: FileKeys, recordSize: number): AsyncGenerator<Uint8Array> {
  const capacity = (index: number): number => (index === 0 ? recordSize - header.byteLength : recordSize) - TAG_BYTES
  yield header
  let index = 0
  // record `index` when full: sealed as not-last once a byte past it arrives
  let full: Uint8Array | undefined
  let sealing: Promise<Uint8Array> | undefined
  // record `index` being filled from several chunks
  let buffer: Uint8Array | undefined
  let filled = 0
  // `full` lies in the source's current chunk, not in memory of ours
  let borrowed = false
  for await (const chunk of byteChunks(source)) {
    let at = 0
    while (at < chunk.byteLength) {
      if (full != null) {
        // more bytes after a full record: it is not the last
        const previous = sealing
        sealing = borrowed ? sealRecord(keys, index, false, full) : sealAndRelease(keys, index, full)
        // awaited below; a consumer that stops early leaves no unhandled rejection
        sealing.catch(() => {})
        full = undefined
        index++
        if (previous != null) yield await previous
      }
      const cap = capacity(index)
      if (filled === 0 && chunk.byteLength - at >= cap) {
        full = chunk.subarray(at, at + cap)
        borrowed = true
        at += cap
        continue
      }
      buffer ??= new Uint8Array(cap)
      const n = Math.min(chunk.byteLength - at, cap - filled)
      buffer.set(chunk.subarray(at, at + n), filled)
      filled += n
      at += n
      if (filled === cap) {
        full = buffer
        borrowed = false
        buffer = undefined
        filled = 0
      }
    }
    // a source may reuse its chunk's memory for the next one: a record still waiting in it is copied out
    if (full != null && borrowed) {
      full = full.slice()
      borrowed = false
    }
  }
  if (sealing != null) yield await sealing
  yield await sealRecord(keys, index, true, full ?? buffer?.subarray(0, filled) ?? new Uint8Array(0))
}
