import { multiaddr } from '@multiformats/multiaddr'
import { IdentifiedProtocol } from './identified-protocol.js'
import type { ComponentLogger, Libp2pEvents, Logger, PeerStore, Startable, TypedEventTarget } from '@libp2p/interface'
import type { ConnectionManager } from '@libp2p/interface-internal'

/** The first look whether this node is cut off, after start: the bootstrap module dials at 1 s. */
export const REJOIN_FIRST_MS = 3_000

/** While cut off, the wait between attempts doubles up to this. */
export const REJOIN_MAX_MS = 60_000

export interface RejoinInit {
  /** Bootstrap multiaddrs, each with `/p2p/<id>`. */
  list: string[]
  /** The DHT protocol: a connected peer speaking it means this node is in the network. */
  dhtProtocol: string
}

export interface RejoinComponents {
  events: TypedEventTarget<Libp2pEvents>
  connectionManager: ConnectionManager
  peerStore: PeerStore
  logger: ComponentLogger
}

/**
 * Dials the bootstrap peers again whenever this node has no connection to
 * any DHT server. libp2p's bootstrap module dials once, at start: a server
 * refused then (its bootstrap peer busy or restarting, too many joiners in
 * one second) or one that later lost every connection would stay alone for
 * good, answering lookups with nobody and holding no replicas.
 */
export class Rejoin implements Startable {
  private readonly log: Logger
  private timer: ReturnType<typeof setTimeout> | undefined
  private wait = REJOIN_FIRST_MS
  private running = false
  /** Connected DHT servers by their identify: a page that sent a query is none (see IdentifiedProtocol). */
  private dhtServers: IdentifiedProtocol | undefined

  constructor (private readonly components: RejoinComponents, private readonly init: RejoinInit) {
    this.log = components.logger.forComponent('weft:rejoin')
  }

  readonly [Symbol.toStringTag] = '@weft/rejoin'

  private readonly onDisconnect = (): void => {
    if (this.components.connectionManager.getConnections().length === 0) this.schedule(REJOIN_FIRST_MS)
  }

  start (): void {
    this.running = true
    this.dhtServers = new IdentifiedProtocol(this.components.events, this.init.dhtProtocol)
    this.components.events.addEventListener('peer:disconnect', this.onDisconnect)
    this.schedule(REJOIN_FIRST_MS)
  }

  stop (): void {
    this.running = false
    this.dhtServers?.stop()
    this.components.events.removeEventListener('peer:disconnect', this.onDisconnect)
    clearTimeout(this.timer)
  }

  private schedule (ms: number): void {
    if (!this.running) return
    clearTimeout(this.timer)
    this.timer = setTimeout(() => { void this.check() }, ms)
  }

  private async check (): Promise<void> {
    if (await this.joined()) {
      // looked at again now and then: a server whose peers all left has only pages
      this.wait = REJOIN_FIRST_MS
      this.schedule(REJOIN_MAX_MS)
      return
    }
    this.log('no connection to a DHT server: dialling %d bootstrap peer(s) again', this.init.list.length)
    await Promise.allSettled(this.init.list.map(async addr => this.components.connectionManager.openConnection(multiaddr(addr))))
    this.wait = Math.min(this.wait * 2, REJOIN_MAX_MS)
    this.schedule(this.wait)
  }

  private async joined (): Promise<boolean> {
    const peers = this.components.connectionManager.getConnections().map(c => c.remotePeer)
    return await (this.dhtServers?.countAmong(peers, this.components.peerStore) ?? 0) > 0
  }
}

/** The rejoin service, for `createLibp2p({ services: { rejoin: rejoin(init) } })`. */
export function rejoin (init: RejoinInit): (components: RejoinComponents) => Rejoin {
  return (components) => new Rejoin(components, init)
}
