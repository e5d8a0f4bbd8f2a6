import { DecryptionError, MetadataTooLargeError, NotEncryptedError } from './errors.js'
import { CHECK_BYTES, SALT_BYTES } from './keys.js'

// The layout of an encrypted file (docs/encryption.md). The ciphertext is an
// ordinary UnixFS file: servers store, verify, audit and repair it without
// the key. It starts with a header, then the records:
//
//   leaf 0:  header | record 0        (exactly `recordSize` bytes, or less if it is the last)
//   leaf i:  record i                 (exactly `recordSize` bytes, the last one shorter)
//
// A record is one AES-256-GCM ciphertext with its 16-byte tag, so each
// ciphertext leaf of the chunker is exactly one record: a range read fetches
// and decrypts only the leaves it touches (and the header).

/** 'weft' */
export const MAGIC = Uint8Array.of(0x77, 0x65, 0x66, 0x74)
export const FORMAT_VERSION = 1
/** Bytes of an AES-GCM tag. */
export const TAG_BYTES = 16
/** Header bytes before the encrypted metadata. */
export const FIXED_HEADER_BYTES = 56
/** Largest metadata (name and type as JSON, padded) a header holds. */
export const MAX_METADATA_BYTES = 448
/** Metadata is padded to a multiple of this, so its length says little about the name's. */
export const METADATA_PADDING = 64
/** Most bytes a header can take: what a reader asks for first. */
export const MAX_HEADER_BYTES = FIXED_HEADER_BYTES + MAX_METADATA_BYTES + TAG_BYTES

/** How a file's key was made. */
export type KeyMode = 'random' | 'convergent'

/** What the header holds in the clear (all of it authenticated with the metadata). */
export interface HeaderFields {
  mode: KeyMode
  /** Ciphertext leaf size: each record's ciphertext (the header included, for record 0). */
  recordSize: number
  salt: Uint8Array
  check: Uint8Array
  metaNonce: Uint8Array
  /** Bytes of the encrypted metadata (with its tag). */
  metaLength: number
}

/** A file's name and media type, encrypted in its header. */
export interface FileMetadata {
  name?: string
  type?: string
}

/** The header's clear part, which is also the metadata's additional authenticated data. */
export function encodeFixedHeader (fields: HeaderFields): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(FIXED_HEADER_BYTES)
  const view = new DataView(bytes.buffer)
  bytes.set(MAGIC, 0)
  bytes[4] = FORMAT_VERSION
  bytes[5] = fields.mode === 'convergent' ? 1 : 0
  view.setUint32(6, fields.recordSize)
  bytes.set(fields.salt, 10)
  bytes.set(fields.check, 10 + SALT_BYTES)
  bytes.set(fields.metaNonce, 10 + SALT_BYTES + CHECK_BYTES)
  view.setUint16(54, fields.metaLength)
  return bytes
}

/** Reads the header's clear part; NotEncryptedError when the bytes do not start with one. */
export function decodeFixedHeader (bytes: Uint8Array, cid?: string): HeaderFields {
  if (bytes.byteLength < FIXED_HEADER_BYTES || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new NotEncryptedError(`${cid ?? 'the content'} is not weft-encrypted content (no encryption header)`, cid)
  }
  if (bytes[4] !== FORMAT_VERSION) {
    throw new DecryptionError(`${cid ?? 'the content'} has encryption format version ${bytes[4]}, this weft reads version ${FORMAT_VERSION}`, 'malformed', cidDetail(cid))
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const fields: HeaderFields = {
    mode: bytes[5] === 1 ? 'convergent' : 'random',
    recordSize: view.getUint32(6),
    salt: bytes.slice(10, 10 + SALT_BYTES),
    check: bytes.slice(10 + SALT_BYTES, 10 + SALT_BYTES + CHECK_BYTES),
    metaNonce: bytes.slice(42, 54),
    metaLength: view.getUint16(54)
  }
  if (fields.metaLength < TAG_BYTES || fields.metaLength > MAX_METADATA_BYTES + TAG_BYTES) {
    throw new DecryptionError(`${cid ?? 'the content'} has a header with ${fields.metaLength} bytes of metadata`, 'malformed', cidDetail(cid))
  }
  if (fields.recordSize < FIXED_HEADER_BYTES + fields.metaLength + TAG_BYTES + 1) {
    throw new DecryptionError(`${cid ?? 'the content'} has a header naming a record size of ${fields.recordSize} bytes`, 'malformed', cidDetail(cid))
  }
  return fields
}

/** The metadata as padded UTF-8 JSON; MetadataTooLargeError past MAX_METADATA_BYTES. */
export function encodeMetadata (meta: FileMetadata): Uint8Array {
  const json = JSON.stringify({ ...(meta.name != null ? { n: meta.name } : {}), ...(meta.type != null ? { t: meta.type } : {}) })
  const bytes = new TextEncoder().encode(json)
  if (bytes.byteLength > MAX_METADATA_BYTES) {
    throw new MetadataTooLargeError(`the file's name and type take ${bytes.byteLength} bytes, more than the ${MAX_METADATA_BYTES} an encrypted header holds: use a shorter name`, bytes.byteLength, MAX_METADATA_BYTES)
  }
  const padded = new Uint8Array(Math.max(METADATA_PADDING, Math.ceil(bytes.byteLength / METADATA_PADDING) * METADATA_PADDING)).fill(0x20)
  padded.set(bytes)
  return padded
}

export function decodeMetadata (bytes: Uint8Array, cid?: string): FileMetadata {
  try {
    const parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as { n?: unknown, t?: unknown }
    return {
      ...(typeof parsed.n === 'string' ? { name: parsed.n } : {}),
      ...(typeof parsed.t === 'string' ? { type: parsed.t } : {})
    }
  } catch (err) {
    // authenticated, so written by whoever held the key: still, never guess
    throw new DecryptionError(`${cid ?? 'the content'} has metadata that is not JSON`, 'malformed', cidDetail(cid), { cause: err })
  }
}

/**
 * Where each record lies in the ciphertext and in the plaintext, from the
 * header's size and record size and the ciphertext's size.
 */
export class RecordLayout {
  readonly recordSize: number
  readonly headerSize: number
  readonly cipherSize: number
  /** Records in the ciphertext (at least one: an empty file has one empty record). */
  readonly records: number
  readonly plainSize: number

  constructor (recordSize: number, headerSize: number, cipherSize: number, cid?: string) {
    this.recordSize = recordSize
    this.headerSize = headerSize
    this.cipherSize = cipherSize
    this.records = cipherSize <= recordSize ? 1 : 1 + Math.ceil((cipherSize - recordSize) / recordSize)
    const last = this.cipherEnd(this.records - 1) - this.cipherStart(this.records - 1)
    if (last < TAG_BYTES) {
      throw new DecryptionError(`${cid ?? 'the content'} ends in a record of ${last} bytes, shorter than its tag`, 'malformed', cidDetail(cid))
    }
    this.plainSize = cipherSize - headerSize - TAG_BYTES * this.records
  }

  /** Plaintext bytes a record holds when full. */
  plainCapacity (index: number): number {
    return (index === 0 ? this.recordSize - this.headerSize : this.recordSize) - TAG_BYTES
  }

  cipherStart (index: number): number {
    return index === 0 ? this.headerSize : index * this.recordSize
  }

  cipherEnd (index: number): number {
    return Math.min(this.cipherSize, (index + 1) * this.recordSize)
  }

  plainStart (index: number): number {
    return index === 0 ? 0 : this.plainCapacity(0) + (index - 1) * this.plainCapacity(1)
  }

  /** The record holding plaintext byte `offset` (the last record for the end of the file). */
  recordOf (offset: number): number {
    const first = this.plainCapacity(0)
    const index = offset < first ? 0 : 1 + Math.floor((offset - first) / this.plainCapacity(1))
    return Math.min(index, this.records - 1)
  }
}

function cidDetail (cid?: string): { cid?: string } {
  return cid != null ? { cid } : {}
}
