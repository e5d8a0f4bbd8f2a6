// The bounds on what one gateway request makes the server fetch: time without progress, and bytes.

import { GatewayError } from './errors.js'
import type { BlockSource, DagBlocks } from '../../index.js'
import type { CID } from 'multiformats/cid'

export interface FetchLimitsInit {
  /** How long a fetch may wait with no block arriving (`http.gatewayTimeoutMs`). */
  timeoutMs: number
  /** Bytes this request may fetch from the network, 0 for no limit (`http.gatewayMaxBytes`). */
  maxBytes: number
  /** The request's own end (the client went away, the server stops). */
  signal: AbortSignal
}

/**
 * Wraps the blocks of a DAG for one request. The clock runs only while a
 * block is being fetched, and restarts each time one arrives: a client
 * that reads slowly is not a slow network, and a large file that keeps
 * arriving is not stalled. When no block has arrived for `timeoutMs`, or
 * the network has sent more than `maxBytes`, `signal` aborts with a
 * `GatewayError` (504, 403) as its reason and every fetch under it ends.
 */
export class FetchLimits implements BlockSource {
  private readonly controller = new AbortController()
  readonly signal: AbortSignal
  private inflight = 0
  private timer: ReturnType<typeof setTimeout> | undefined

  constructor (private readonly blocks: DagBlocks, private readonly init: FetchLimitsInit) {
    this.signal = AbortSignal.any([this.controller.signal, init.signal])
  }

  /** Bytes the network has sent for this request so far. */
  get bytesFetched (): number {
    return this.blocks.counters.bytesFetched
  }

  async get (cid: CID, options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    return this.fetching(async signal => this.blocks.get(cid, { signal }), options.signal)
  }

  async getMany (cids: CID[], options: { signal?: AbortSignal } = {}): Promise<Uint8Array[]> {
    const { blocks } = this
    if (blocks.getMany == null) return Promise.all(cids.map(async cid => this.get(cid, options)))
    return this.fetching(async signal => blocks.getMany?.(cids, { signal }) ?? [], options.signal)
  }

  /** Throws the reason the limits ended the request, if they did. */
  throwIfExceeded (): void {
    if (this.controller.signal.aborted) throw this.controller.signal.reason
  }

  /** Stops the clock (the request is over). */
  close (): void {
    clearTimeout(this.timer)
    this.timer = undefined
  }

  private async fetching<T> (fetch: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    this.throwIfExceeded()
    this.inflight++
    if (this.timer == null) this.arm()
    try {
      const value = await fetch(signal != null ? AbortSignal.any([this.signal, signal]) : this.signal)
      this.arrived()
      return value
    } catch (err) {
      // the fetch failed because the limits ended it: say why
      this.throwIfExceeded()
      throw err
    } finally {
      this.inflight--
      if (this.inflight === 0) this.close()
    }
  }

  private arrived (): void {
    if (this.init.maxBytes > 0 && this.bytesFetched > this.init.maxBytes) {
      this.controller.abort(new GatewayError(403, `this request fetched ${this.bytesFetched} bytes from the network, more than the gateway's limit of ${this.init.maxBytes} (http.gatewayMaxBytes): ask for a range`, String(this.bytesFetched)))
      return
    }
    if (this.inflight > 1) this.arm()
  }

  private arm (): void {
    clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.controller.abort(new GatewayError(504, `no block arrived from the network for ${this.init.timeoutMs} ms (http.gatewayTimeoutMs)`))
    }, this.init.timeoutMs)
  }
}
