/**
 * Errors of encrypted content. Each has a fixed `name` and carries what was
 * wrong; none of them is ever replaced by bytes that might be wrong.
 */

/** Why a decryption failed. */
export type DecryptionFailure = 'wrong-key' | 'tampered-header' | 'tampered-record' | 'malformed'

/**
 * The key does not open this file, or its ciphertext was changed. `record`
 * is the index of the record (leaf) that failed to authenticate, when one did.
 */
export class DecryptionError extends Error {
  static override readonly name = 'DecryptionError'
  override readonly name = 'DecryptionError'
  readonly reason: DecryptionFailure
  readonly cid: string | undefined
  readonly record: number | undefined

  constructor (message: string, reason: DecryptionFailure, detail: { cid?: string, record?: number } = {}, options?: ErrorOptions) {
    super(message, options)
    this.reason = reason
    this.cid = detail.cid
    this.record = detail.record
  }
}

/**
 * The file ends before its last record: its final record(s) were dropped.
 * `records` is how many records the ciphertext still has.
 */
export class TruncatedError extends Error {
  static override readonly name = 'TruncatedError'
  override readonly name = 'TruncatedError'
  readonly cid: string | undefined
  readonly records: number

  constructor (message: string, records: number, cid?: string) {
    super(message)
    this.records = records
    this.cid = cid
  }
}

/** A capability or link names an encrypted file but carries no key (`k=`). */
export class MissingKeyError extends Error {
  static override readonly name = 'MissingKeyError'
  override readonly name = 'MissingKeyError'
  readonly value: string

  constructor (message: string, value: string) {
    super(message)
    this.value = value
  }
}

/** A capability or link could not be read: its CID part is missing or its key is not 32 base64url bytes. */
export class InvalidCapabilityError extends Error {
  static override readonly name = 'InvalidCapabilityError'
  override readonly name = 'InvalidCapabilityError'
  readonly value: string

  constructor (message: string, value: string) {
    super(message)
    this.value = value
  }
}

/** Content opened with a key does not begin with weft's encryption header (it was stored plain). */
export class NotEncryptedError extends Error {
  static override readonly name = 'NotEncryptedError'
  override readonly name = 'NotEncryptedError'
  readonly cid: string | undefined

  constructor (message: string, cid?: string) {
    super(message)
    this.cid = cid
  }
}

/** The file's name and type do not fit in the encrypted header (`limit` bytes as UTF-8 JSON). */
export class MetadataTooLargeError extends Error {
  static override readonly name = 'MetadataTooLargeError'
  override readonly name = 'MetadataTooLargeError'
  readonly bytes: number
  readonly limit: number

  constructor (message: string, bytes: number, limit: number) {
    super(message)
    this.bytes = bytes
    this.limit = limit
  }
}
