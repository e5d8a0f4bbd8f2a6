import type { DirectorySource } from './directory-source.js'
import type { FileContent } from './file-content.js'

export type { FileContent }

/**
 * Everything `put` accepts: one file's content, or several files as a
 * directory. Each file is read as a stream, never collected whole, so a
 * 2 GiB file costs a chunk's worth of memory.
 */
export type ContentSource = FileContent | DirectorySource

/** Turns any `ContentSource` into an async iterable of byte chunks. */
export async function * byteChunks (source: FileContent): AsyncGenerator<Uint8Array> {
  if (source instanceof Uint8Array) {
    yield source
  } else if (typeof Blob !== 'undefined' && source instanceof Blob) {
    yield * readStream(source.stream())
  } else if (isReadableStream(source)) {
    yield * readStream(source)
  } else if (Symbol.asyncIterator in source || Symbol.iterator in source) {
    for await (const chunk of source as AsyncIterable<unknown>) {
      // Node streams opened without an encoding give Buffers (Uint8Arrays);
      // with one they give strings, which we refuse rather than guess at
      if (!(chunk instanceof Uint8Array)) throw new TypeError(`content chunks must be Uint8Arrays, got ${typeof chunk}`)
      yield chunk
    }
  } else {
    throw new TypeError('content must be bytes, a Blob/File, a ReadableStream or an (async) iterable of Uint8Arrays')
  }
}

function isReadableStream (value: unknown): value is ReadableStream<Uint8Array> {
  return typeof value === 'object' && value !== null && typeof (value as ReadableStream).getReader === 'function'
}

async function * readStream (stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      yield value
    }
  } finally {
    reader.releaseLock()
  }
}
