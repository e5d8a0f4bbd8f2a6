import { DecryptionError, TruncatedError } from './errors.js'
import { decodeFixedHeader, decodeMetadata, FIXED_HEADER_BYTES, MAX_HEADER_BYTES, RecordLayout, type FileMetadata, type HeaderFields } from './format.js'
import { aesOpen } from './aes-gcm.js'
import { deriveFileKeys, recordNonce, type FileKeys } from './keys.js'

/** Ciphertext to decrypt: its size and a way to read any range of it, streamed. */
export interface CipherSource {
  /** The ciphertext's CID, for errors. */
  cid?: string
  /** Size of the ciphertext in bytes. */
  size: number
  read: (offset: number, length: number, signal?: AbortSignal) => AsyncIterable<Uint8Array>
}

export interface DecryptReadOptions {
  offset?: number
  length?: number
  signal?: AbortSignal
  /**
   * Reads the ciphertext for this read in place of the source's own `read`
   * (the same bytes: a caller's per-read options, such as a progress
   * listener, go with it).
   */
  through?: CipherSource['read']
}

/** What the header tells of an encrypted file. */
export interface DecryptedStat extends FileMetadata {
  /** Plaintext size in bytes. */
  size: number
  mode: HeaderFields['mode']
  /** Records (= ciphertext leaves). */
  records: number
}

/**
 * An encrypted file opened with its key: the header is read and checked
 * once; each read fetches and decrypts only the records its range touches.
 */
export class DecryptedFile {
  readonly source: CipherSource
  readonly layout: RecordLayout
  readonly stat: DecryptedStat
  /** Records decrypted so far (what a range read costs). */
  decrypted = 0
  private readonly keys: FileKeys
  /**
   * Record 0's plaintext, once decrypted: players, type sniffing and
   * probes read a file's start again and again, and its leaf (which holds
   * the header too) need not be fetched for each.
   */
  private first: Uint8Array | undefined

  private constructor (source: CipherSource, layout: RecordLayout, keys: FileKeys, stat: DecryptedStat) {
    this.source = source
    this.layout = layout
    this.keys = keys
    this.stat = stat
  }

  /**
   * Reads and checks the header with `key`: DecryptionError for a wrong key
   * or a changed header, NotEncryptedError for content stored plain.
   */
  static async open (source: CipherSource, key: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<DecryptedFile> {
    return DecryptedFile.fromHead(source, key, await collect(source.read(0, Math.min(source.size, MAX_HEADER_BYTES), options.signal)))
  }

  /**
   * Opens the file from the start of a read of the whole ciphertext
   * (`chunks`, from offset 0), and gives the file and the rest of that read
   * for `readFrom`: a whole-file read fetches leaf 0 once and waits for no
   * separate header read.
   */
  static async openFrom (source: CipherSource, key: Uint8Array, chunks: AsyncIterable<Uint8Array>): Promise<{ file: DecryptedFile, rest: AsyncGenerator<Uint8Array> }> {
    const iterator = chunks[Symbol.asyncIterator]()
    const want = Math.min(source.size, MAX_HEADER_BYTES)
    const parts: Uint8Array[] = []
    let have = 0
    let ended = false
    try {
      while (have < want) {
        const next = await iterator.next()
        if (next.done === true) { ended = true; break }
        parts.push(next.value)
        have += next.value.byteLength
      }
      const head = concat(parts, have)
      const file = await DecryptedFile.fromHead(source, key, head)
      const rest = async function * (): AsyncGenerator<Uint8Array> {
        try {
          if (head.byteLength > file.layout.headerSize) yield head.subarray(file.layout.headerSize)
          while (!ended) {
            const next = await iterator.next()
            if (next.done === true) return
            yield next.value
          }
        } finally {
          await iterator.return?.()
        }
      }
      return { file, rest: rest() }
    } catch (err) {
      await iterator.return?.()
      throw err
    }
  }

  private static async fromHead (source: CipherSource, key: Uint8Array, head: Uint8Array): Promise<DecryptedFile> {
    const cid = source.cid
    const fields = decodeFixedHeader(head, cid)
    const keys = await deriveFileKeys(key, fields.salt)
    if (!equal(keys.check, fields.check)) {
      throw new DecryptionError(`the key does not open ${cid ?? 'this file'} (wrong key)`, 'wrong-key', detail(cid))
    }
    const headerSize = FIXED_HEADER_BYTES + fields.metaLength
    if (head.byteLength < headerSize) throw new TruncatedError(`${cid ?? 'the file'} ends inside its header`, 0, cid)
    let metadata: Uint8Array
    try {
      metadata = await aesOpen(keys.meta, fields.metaNonce, head.subarray(FIXED_HEADER_BYTES, headerSize), head.subarray(0, FIXED_HEADER_BYTES))
    } catch (err) {
      throw new DecryptionError(`the header of ${cid ?? 'the file'} was changed: it does not authenticate`, 'tampered-header', detail(cid), { cause: err })
    }
    const layout = new RecordLayout(fields.recordSize, headerSize, source.size, cid)
    return new DecryptedFile(source, layout, keys, { ...decodeMetadata(metadata, cid), size: layout.plainSize, mode: fields.mode, records: layout.records })
  }

  /**
   * The plaintext from `offset` for `length` bytes, in order: the records
   * holding the range are read (the source's read-ahead applies) and each is
   * decrypted and checked before any of its bytes is given out.
   */
  async * read (options: DecryptReadOptions = {}): AsyncGenerator<Uint8Array> {
    let { start, end } = rangeOf(this.layout.plainSize, options.offset, options.length)
    if (start === end && this.layout.plainSize > 0) return
    let first = this.layout.recordOf(start)
    const last = this.layout.recordOf(Math.max(start, end - 1))
    if (first === 0 && this.first != null) {
      const slice = this.first.subarray(start, Math.min(end, this.first.byteLength))
      if (slice.byteLength > 0) yield slice
      if (last === 0) return
      first = 1
      start = this.layout.plainStart(1)
    }
    const from = this.layout.cipherStart(first)
    const to = this.layout.cipherEnd(last)
    const read = options.through ?? this.source.read
    yield * this.decrypt(read(from, to - from, options.signal), first, last, start, end)
  }

  /**
   * What `read` gives from offset 0, over `chunks`: the rest of the read
   * `openFrom` began (the ciphertext from the end of the header on).
   */
  async * readFrom (chunks: AsyncIterable<Uint8Array>, options: { length?: number } = {}): AsyncGenerator<Uint8Array> {
    const { start, end } = rangeOf(this.layout.plainSize, 0, options.length)
    if (start === end && this.layout.plainSize > 0) return
    yield * this.decrypt(chunks, 0, this.layout.recordOf(Math.max(start, end - 1)), start, end)
  }

  /** Decrypts records `first`..`last` from `chunks` (the ciphertext from record `first` on), giving plaintext [start, end). */
  private async * decrypt (chunks: AsyncIterable<Uint8Array>, first: number, last: number, start: number, end: number): AsyncGenerator<Uint8Array> {
    let index = first
    let want = this.layout.cipherEnd(index) - this.layout.cipherStart(index)
    let parts: Uint8Array[] = []
    let have = 0
    for await (let chunk of chunks) {
      while (chunk.byteLength > 0) {
        const n = Math.min(chunk.byteLength, want - have)
        parts.push(chunk.subarray(0, n))
        have += n
        chunk = chunk.subarray(n)
        if (have < want) continue
        // an empty file's one record is opened too: it proves the file ends where it should
        const plain = await this.openRecord(index, parts.length === 1 ? parts[0] : concat(parts, want))
        if (index === 0) this.first = plain
        const plainStart = this.layout.plainStart(index)
        const slice = plain.subarray(Math.max(0, start - plainStart), Math.max(0, Math.min(plain.byteLength, end - plainStart)))
        if (slice.byteLength > 0) yield slice
        index++
        parts = []
        have = 0
        if (index > last) return
        want = this.layout.cipherEnd(index) - this.layout.cipherStart(index)
      }
    }
    throw new TruncatedError(`${this.source.cid ?? 'the file'} ended before record ${index}`, index, this.source.cid)
  }

  /** Decrypts record `index`; its last record failing as last but opening as not-last means records were dropped. */
  private async openRecord (index: number, sealed: Uint8Array): Promise<Uint8Array> {
    const last = index === this.layout.records - 1
    try {
      const plain = await aesOpen(this.keys.data, recordNonce(this.keys.noncePrefix, index, last), sealed)
      this.decrypted++
      return plain
    } catch (err) {
      if (last) {
        const opensAsInner = await aesOpen(this.keys.data, recordNonce(this.keys.noncePrefix, index, false), sealed).then(() => true, () => false)
        if (opensAsInner) {
          throw new TruncatedError(`${this.source.cid ?? 'the file'} was truncated: it ends after record ${index}, which is not its last`, this.layout.records, this.source.cid)
        }
      }
      throw new DecryptionError(`record ${index} of ${this.source.cid ?? 'the file'} does not authenticate: the ciphertext was changed`, 'tampered-record', { ...detail(this.source.cid), record: index }, { cause: err })
    }
  }
}

function rangeOf (size: number, offset = 0, length?: number): { start: number, end: number } {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`offset must be a whole number >= 0, got ${offset}`)
  if (length != null && (!Number.isSafeInteger(length) || length < 0)) throw new RangeError(`length must be a whole number >= 0, got ${length}`)
  if (offset > size) throw new RangeError(`offset ${offset} is past the end of the content (${size} bytes)`)
  return { start: offset, end: length == null ? size : Math.min(size, offset + length) }
}

async function collect (chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  let size = 0
  for await (const chunk of chunks) {
    parts.push(chunk)
    size += chunk.byteLength
  }
  return concat(parts, size)
}

function concat (parts: Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0]
  const out = new Uint8Array(size)
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.byteLength
  }
  return out
}

function equal (a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  let diff = 0
  for (let i = 0; i < a.byteLength; i++) diff |= a[i] ^ b[i]
  return diff === 0
}

function detail (cid?: string): { cid?: string } {
  return cid != null ? { cid } : {}
}
