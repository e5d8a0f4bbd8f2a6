import { JoinTimeoutError } from '../errors.js'
import { closestPeers } from '../placement/dht-closest-peers.js'
import { IdentifiedProtocol } from './identified-protocol.js'
import type { KadDHT, SingleKadDHT } from '@libp2p/kad-dht'
import type { AbortOptions, PeerId } from '@libp2p/interface'
import type { Libp2p } from 'libp2p'

// What weft knows of kad-dht's internals for joining is in this file: the
// routing table behind `services.dht` (its public type does not show it)
// with its `peer:add` and `peer:remove` events, and the `kad-dht:query:self`
// event kad-dht sends on the libp2p event bus when a lookup of the node's own
// id has finished. Which peers the table takes is the business of
// connected-table.ts and dht-clients.ts, which wrap kad-dht's onPeerConnect.

/** kad-dht's event for a finished self-lookup. */
const SELF_QUERY_EVENT = 'kad-dht:query:self'

/** The one service this file reads: a node's own services name it so too (NodeServices), which this file does not import, so that common-options can use it. */
export interface DhtServices extends Record<string, unknown> {
  dht: KadDHT
}

/** What weft reads of kad-dht's routing table (`find` and `add` are kad-dht's own, outside its published type). */
export interface RoutingTableView extends EventTarget {
  size: number
  find?: (peer: PeerId) => Promise<PeerId | undefined>
  add?: (peer: PeerId, options?: { signal?: AbortSignal }) => Promise<void>
}

/**
 * How often connected DHT servers missing from the routing table are offered
 * to it again. kad-dht pings a new contact once, when it connects, before it
 * adds it: on a busy machine that ping times out and the server, though
 * connected, is never in the table (seen: 4 of 5 servers connected, 3 in the
 * table, for good), so lookups through this node miss it.
 */
export const TOP_UP_MS = 10_000

/** How long one offer (kad-dht's ping of the contact included) may take. */
const TOP_UP_OFFER_MS = 30_000

/** The routing table of `libp2p`'s DHT; undefined where the DHT is not kad-dht. */
export function routingTableOf (libp2p: Libp2p<DhtServices>): RoutingTableView | undefined {
  return (libp2p.services.dht as Partial<SingleKadDHT>).routingTable as RoutingTableView | undefined
}

/** What `WeftNode.joined` waits for. */
export interface JoinedOptions extends AbortOptions {
  /**
   * Peers the routing table must hold. Default: every DHT server this node is
   * connected to, at least one (kad-dht pings a peer before it adds it, so
   * the table lags the connections).
   */
  peers?: number
  /** Wait for kad-dht's first lookup of the node's own id to finish too. Default true. */
  selfLookup?: boolean
  /**
   * If kad-dht's self-lookup has not finished this long after the call, run
   * one in its place (kad-dht says nothing when its own fails, and the wait
   * would last forever); a stand-in that fails leaves the table thinner, but
   * counts as done. Default: no stand-in.
   */
  selfLookupMs?: number
  /** Reject with JoinTimeoutError after this long. Default: no limit. */
  timeoutMs?: number
}

/**
 * Whether a node has joined the network, watched from the moment the node
 * is made: kad-dht's first self-lookup may finish before anyone asks.
 */
export class Joining {
  private selfLookedUp = false
  private standIn: Promise<void> | undefined
  /** Told when the self-lookup finished. */
  private readonly changed = new EventTarget()
  private readonly onSelfQuery = (): void => { this.selfLookupFinished() }
  private readonly stopped = new AbortController()
  private readonly topUpTimer: ReturnType<typeof setInterval>
  /** The connected peers that are DHT servers, by their identify (pages that sent a query are not). */
  private readonly dhtServers: IdentifiedProtocol

  constructor (private readonly libp2p: Libp2p<DhtServices>, dhtProtocol: string, topUpMs = TOP_UP_MS) {
    this.dhtServers = new IdentifiedProtocol(libp2p, dhtProtocol)
    libp2p.addEventListener(SELF_QUERY_EVENT as any, this.onSelfQuery, { once: true })
    this.topUpTimer = setInterval(() => { void this.topUp() }, topUpMs)
    this.topUpTimer.unref?.()
  }

  /** Offers the routing table every connected DHT server it lacks (see TOP_UP_MS). */
  async topUp (): Promise<void> {
    const table = routingTableOf(this.libp2p)
    if (table?.find == null || table.add == null || this.stopped.signal.aborted) return
    for (const peer of this.libp2p.getPeers()) {
      try {
        if (await table.find(peer) != null) continue
        if (!await this.dhtServers.isHandledBy(peer, this.libp2p.peerStore)) continue
        // kad-dht pings it first, and adds it only if it answers
        table.add(peer, { signal: AbortSignal.any([this.stopped.signal, AbortSignal.timeout(TOP_UP_OFFER_MS)]) }).catch(() => {})
      } catch {
        // the table stopped under us: the node is stopping
      }
    }
  }

  /** Peers in the routing table. */
  get routingTableSize (): number {
    return routingTableOf(this.libp2p)?.size ?? 0
  }

  /**
   * Resolves once the node has joined as `options` say, looking again on each
   * event that can change the answer (never polled). Rejects with
   * JoinTimeoutError after `timeoutMs`, with the reason of `signal`, and
   * when the node stops.
   */
  async until (options: JoinedOptions = {}): Promise<void> {
    const table = routingTableOf(this.libp2p)
    const timeout = options.timeoutMs != null ? AbortSignal.timeout(options.timeoutMs) : undefined
    const signal = AbortSignal.any([this.stopped.signal, ...[options.signal, timeout].filter(s => s != null)])
    const waitSelf = options.selfLookup !== false
    let wanted = options.peers ?? 1
    const joined = async (): Promise<boolean> => {
      if (waitSelf && !this.selfLookedUp) return false
      wanted = options.peers ?? Math.max(1, await this.dhtServers.countAmong(this.libp2p.getPeers(), this.libp2p.peerStore))
      return this.routingTableSize >= wanted
    }
    let standIn: ReturnType<typeof setTimeout> | undefined
    if (waitSelf && options.selfLookupMs != null && !this.selfLookedUp) {
      const ms = options.selfLookupMs
      standIn = setTimeout(() => { void this.lookUpSelf(ms) }, ms)
    }
    const bus = this.libp2p as unknown as EventTarget
    let check = (): void => {}
    try {
      await new Promise<void>((resolve, reject) => {
        check = () => {
          if (signal.aborted) {
            reject(timeout?.aborted === true && options.signal?.aborted !== true
              ? new JoinTimeoutError(this.routingTableSize, wanted, !waitSelf || this.selfLookedUp, options.timeoutMs ?? 0)
              : options.signal?.aborted === true ? options.signal.reason : this.stopped.signal.reason)
            return
          }
          joined().then(yes => { if (yes) resolve() }, reject)
        }
        table?.addEventListener('peer:add', check)
        table?.addEventListener('peer:remove', check)
        bus.addEventListener('peer:identify', check)
        bus.addEventListener('peer:disconnect', check)
        this.changed.addEventListener('self', check)
        signal.addEventListener('abort', check, { once: true })
        check()
      })
    } finally {
      clearTimeout(standIn)
      table?.removeEventListener('peer:add', check)
      table?.removeEventListener('peer:remove', check)
      bus.removeEventListener('peer:identify', check)
      bus.removeEventListener('peer:disconnect', check)
      this.changed.removeEventListener('self', check)
      signal.removeEventListener('abort', check)
    }
  }

  /** Stops watching (the node stops): waits still pending reject. */
  stop (): void {
    clearInterval(this.topUpTimer)
    this.dhtServers.stop()
    this.stopped.abort(new Error('the node stopped before it joined'))
    this.libp2p.removeEventListener(SELF_QUERY_EVENT as any, this.onSelfQuery)
  }

  /** A lookup of the node's own id in place of kad-dht's, once per node. */
  private async lookUpSelf (timeoutMs: number): Promise<void> {
    this.standIn ??= (async () => {
      try {
        const signal = AbortSignal.timeout(Math.max(1, timeoutMs))
        for await (const peer of closestPeers(this.libp2p.services.dht, this.libp2p.peerId.toMultihash().bytes, { signal })) { void peer }
      } catch {
        // a lookup that failed only leaves the routing table thinner: the node has still joined
      }
      this.selfLookupFinished()
    })()
    await this.standIn
  }

  private selfLookupFinished (): void {
    if (this.selfLookedUp) return
    this.selfLookedUp = true
    this.changed.dispatchEvent(new Event('self'))
  }
}
