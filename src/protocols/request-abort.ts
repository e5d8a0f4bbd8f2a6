import type { Stream } from '@libp2p/interface'

/** What a dialler does with its stream when the request ends badly (see `abortOnFailure`). */
export interface RequestAbort {
  /** Aborts the stream and returns what to throw: the caller's reason once its signal aborted, else `err`. */
  fail: (err: unknown) => unknown
  /** Stops listening to the signal; call when the request is over, however it ended. */
  release: () => void
}

/**
 * The abort handling every dialler of our protocols shares: the stream is
 * aborted the moment `signal` aborts (a read waiting on a silent responder
 * would otherwise hold on until its idle timeout) and on any failure, and
 * the caller gets its own abort reason back rather than the stream error
 * that reason caused.
 */
export function abortOnFailure (stream: Stream, signal: AbortSignal | undefined): RequestAbort {
  const onAbort = (): void => { stream.abort(signal?.reason) }
  signal?.addEventListener('abort', onAbort, { once: true })
  return {
    fail: (err) => {
      const error = signal?.aborted === true ? signal.reason : err
      stream.abort(error as Error)
      return error
    },
    release: () => { signal?.removeEventListener('abort', onAbort) }
  }
}
