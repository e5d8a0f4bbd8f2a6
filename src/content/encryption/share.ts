import { formatCapability } from '../capability.js'
import { DecryptedFile, type CipherSource } from './decrypt.js'
import { encryptContent } from './encrypt.js'
import { convergentKey } from './keys.js'
import type { FileContent } from '../source.js'
import type { CID } from 'multiformats/cid'

// Encrypted put and get over any store of ciphertext: the node layer hands
// in its plain put and open, so the storage service never sees a key.

export interface EncryptedPutOptions {
  /** The ciphertext leaf size: the chunk size the store imports with. */
  recordSize: number
  /** File name, encrypted in the header (default a File's own name). */
  name?: string
  /** Media type, encrypted in the header (default a Blob's own type). */
  type?: string
  /**
   * Convergent encryption: the key is derived from the content and this
   * per-user secret, so the same user's same file gets the same CID (read
   * docs/encryption.md about the confirmation-of-file attack first). The
   * content is read twice: it must be bytes or a Blob/File.
   */
  convergenceSecret?: Uint8Array
}

/** What an encrypted put adds to the plain put's result. */
export interface EncryptedPutResult {
  /** `weft:<cid>#k=<key>`: the CID of the ciphertext and the key. */
  capability: string
  key: Uint8Array
}

/** Encrypts `source` and stores the ciphertext with `put`; the result carries the capability. */
export async function putEncrypted<R extends { cid: CID }> (source: FileContent, options: EncryptedPutOptions, put: (ciphertext: AsyncIterable<Uint8Array>) => Promise<R>): Promise<R & EncryptedPutResult> {
  const file = typeof Blob !== 'undefined' && source instanceof Blob ? source : undefined
  const name = options.name ?? (file != null && 'name' in file && typeof file.name === 'string' && file.name !== '' ? file.name : undefined)
  const type = options.type ?? (file != null && file.type !== '' ? file.type : undefined)
  let keyed = {}
  if (options.convergenceSecret != null) {
    if (!(source instanceof Uint8Array) && file == null) {
      throw new TypeError('convergent encryption reads the content twice: give bytes or a Blob/File, not a stream')
    }
    const { key, salt } = await convergentKey(source, options.convergenceSecret, options.recordSize)
    keyed = { key, salt, mode: 'convergent' }
  }
  const encrypted = await encryptContent(source, { recordSize: options.recordSize, ...(name != null ? { name } : {}), ...(type != null ? { type } : {}), ...keyed })
  const result = await put(encrypted.ciphertext)
  return { ...result, key: encrypted.key, capability: formatCapability({ cid: result.cid.toString(), key: encrypted.key }) }
}

/** The stat of a file opened with its key: the plain size, and the name and type from the header. */
export interface DecryptedStatFields {
  size: number
  /** Name the sharer gave, from the encrypted header. */
  name?: string
  /** Media type, from the encrypted header. */
  mediaType?: string
  /** Always true: the bytes read are decrypted. */
  encrypted: true
}

interface ReadRange { offset?: number, length?: number, signal?: AbortSignal }

/** Plain content, as a node's `open` gives it. */
export interface CipherContent<S extends { size: number }, O extends ReadRange> {
  readonly cid: CID
  stat: (options?: { signal?: AbortSignal }) => Promise<S>
  read: (options?: O) => AsyncGenerator<Uint8Array>
  /** Blocks the session fetched from peers so far. */
  readonly blocksFetched: number
}

/** Content opened with its key: as `CipherContent`, but `parts` (leaves to check plaintext against) cannot be. */
export interface DecryptedContent<S extends { size: number }, O extends ReadRange> extends CipherContent<Omit<S, 'size'> & DecryptedStatFields, O> {
  /** Throws: a leaf's CID is of its ciphertext, so no plaintext can be checked against it (read the file again instead). */
  parts: (options?: { signal?: AbortSignal }) => AsyncGenerator<never>
}

/**
 * `content` (ciphertext) opened with `key`: `stat` tells the plaintext's size
 * and the header's name and type, `read` decrypts the range asked for,
 * fetching only the records (leaves) holding it and the header.
 */
export function decryptedContent<S extends { size: number }, O extends ReadRange> (content: CipherContent<S, O>, key: Uint8Array): DecryptedContent<S, O> {
  let opened: Promise<{ stat: S, file: DecryptedFile }> | undefined
  const withSignal = (signal?: AbortSignal): { signal?: AbortSignal } => signal != null ? { signal } : {}
  // a read's own options (a progress listener) go with each ciphertext read made for it
  const readWith = (options?: O): CipherSource['read'] => (offset, length, signal) => content.read({ ...options, offset, length, ...withSignal(signal ?? options?.signal) } as O)
  const sourceOf = (stat: S): CipherSource => ({
    cid: content.cid.toString(),
    size: stat.size,
    read: readWith()
  })
  const remember = (opening: Promise<{ stat: S, file: DecryptedFile }>): Promise<{ stat: S, file: DecryptedFile }> => {
    opened = opening
    // a failed open (an aborted signal, a network error) may be tried again
    opening.catch(() => { if (opened === opening) opened = undefined })
    return opening
  }
  const open = async (signal?: AbortSignal): Promise<{ stat: S, file: DecryptedFile }> => opened ?? remember((async () => {
    const stat = await content.stat(withSignal(signal))
    return { stat, file: await DecryptedFile.open(sourceOf(stat), key, withSignal(signal)) }
  })())
  return {
    cid: content.cid,
    stat: async (options) => {
      const { stat, file } = await open(options?.signal)
      const plain = file.stat
      return { ...stat, size: plain.size, encrypted: true, ...(plain.name != null ? { name: plain.name } : {}), ...(plain.type != null ? { mediaType: plain.type } : {}) }
    },
    read: async function * (options) {
      if (opened == null && (options?.offset ?? 0) === 0 && options?.length == null) {
        // the whole file, not opened yet: the header comes with the records, on one read.
        // (Not for a range: the ciphertext it needs ends where its last record
        // does, which only the header tells; a read to the end would fetch
        // leaves past the range ahead of it.)
        const stat = await content.stat(withSignal(options?.signal))
        const { file, rest } = await DecryptedFile.openFrom(sourceOf(stat), key, readWith(options)(0, stat.size, options?.signal))
        opened ??= Promise.resolve({ stat, file })
        yield * file.readFrom(rest)
        return
      }
      const { file } = await open(options?.signal)
      yield * file.read({ ...options, through: readWith(options) })
    },
    // eslint-disable-next-line require-yield
    parts: async function * () {
      throw new TypeError(`${content.cid.toString()} is encrypted: its leaves' CIDs are of the ciphertext, so no plaintext can be checked against them`)
    },
    get blocksFetched () { return content.blocksFetched }
  }
}
