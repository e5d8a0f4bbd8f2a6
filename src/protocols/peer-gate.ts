import { PeerLimitError } from '../errors.js'
import type { PeerLimits } from './peer-limits.js'
import type { LocalBlocks } from '../store/local-blocks.js'
import type { PeerId, StreamHandler } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/**
 * Wraps a protocol's handler so one peer holds at most `storage.peerStreams`
 * of its streams at once, over all its connections (libp2p's own limit is
 * per connection, and a peer may open many). A stream past the limit is
 * reset at once with a `PeerLimitError` naming the limit: the peer learns
 * it was refused at the first read, it is never left waiting.
 */
export function gateStreams (handler: StreamHandler, protocol: string, limits: PeerLimits, onRefused?: (err: PeerLimitError, peer: PeerId) => void): StreamHandler {
  return async (stream, connection) => {
    const peer = connection.remotePeer
    const opened = limits.openStream(peer, protocol)
    if (typeof opened !== 'function') {
      const err = new PeerLimitError(opened.message, `storage.${opened.limit}`, peer.toString())
      stream.abort(err)
      onRefused?.(err, peer)
      return
    }
    try {
      await handler(stream, connection)
    } finally {
      opened()
    }
  }
}

/**
 * A block handler whose reads are paced to the fetching peer's share,
 * `storage.peerServeBytesPerSecond`: `makeHandler` gets, per stream, a store
 * whose `get` resolves only once the peer may be sent the block. The pacing
 * ends with the stream.
 */
export function paceServing (blocks: Pick<LocalBlocks, 'get'>, limits: PeerLimits, makeHandler: (blocks: Pick<LocalBlocks, 'get'>) => StreamHandler): StreamHandler {
  if (limits.settings.serveBytesPerSecond <= 0) return makeHandler(blocks)
  return async (stream, connection) => {
    const peer = connection.remotePeer
    const ended = new AbortController()
    stream.addEventListener('close', () => { ended.abort(new Error('the stream closed')) }, { once: true })
    const paced: Pick<LocalBlocks, 'get'> = {
      get: async (cid: CID, options?: Parameters<LocalBlocks['get']>[1]) => {
        const bytes = await blocks.get(cid, options)
        if (bytes != null) await limits.paceServe(peer, bytes.byteLength, ended.signal)
        return bytes
      }
    }
    await makeHandler(paced)(stream, connection)
  }
}
