/**
 * A libp2p transport whose code loads at its first dial. A transient node
 * (the CLI's get, put, stat, verify) dials servers over TCP, which libp2p
 * tries before any other transport; importing WebRTC, WebSockets and the
 * circuit relay up front cost every such command most of its start-up
 * (`@libp2p/webrtc` alone ~0.1-0.28 s, and its certificate was made at
 * start; docs/performance.md, "CLI start-up"). Wrapped here, each still
 * dials what it dials (a server known only by a WebSockets or WebRTC-direct
 * address), and is loaded, made and started only when libp2p picks it.
 *
 * It never listens: a transient node listens on nothing.
 */

import { isStartable, transportSymbol, type Connection, type CreateListenerOptions, type DialTransportOptions, type Listener, type Startable, type Transport } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** What a transport module's factory (`webSockets()`, `webRTCDirect(init)`) returns. */
export type TransportFactory = (components: any) => Transport

/** The transport a lazy one stands for was asked to listen: it only dials. */
export class LazyTransportListenError extends Error {
  override readonly name = 'LazyTransportListenError'
  constructor (readonly transport: string) {
    super(`the ${transport} transport of a transient node only dials; it cannot listen`)
  }
}

/**
 * A transport factory that stands in for `load()`'s: it says which addresses
 * it dials with `dialable` (the real transport's own filter, from
 * @multiformats/multiaddr-matcher, which libp2p has loaded anyway), and
 * imports, makes and starts the real transport at the first dial.
 */
export function lazyTransport (name: string, dialable: (ma: Multiaddr) => boolean, load: () => Promise<TransportFactory>): TransportFactory {
  return (components) => new LazyTransport(name, dialable, load, components)
}

class LazyTransport implements Transport, Startable {
  readonly [transportSymbol] = true as const
  private real: Promise<Transport> | undefined

  constructor (
    private readonly name: string,
    private readonly dialable: (ma: Multiaddr) => boolean,
    private readonly load: () => Promise<TransportFactory>,
    private readonly components: unknown
  ) {}

  get [Symbol.toStringTag] (): string {
    return `lazy(${this.name})`
  }

  readonly dialFilter = (multiaddrs: Multiaddr[]): Multiaddr[] => multiaddrs.filter(this.dialable)

  readonly listenFilter = (): Multiaddr[] => []

  createListener (_options: CreateListenerOptions): Listener {
    throw new LazyTransportListenError(this.name)
  }

  async dial (ma: Multiaddr, options: DialTransportOptions): Promise<Connection> {
    return (await this.transport()).dial(ma, options)
  }

  start (): void {}

  async stop (): Promise<void> {
    const real = await this.real?.catch(() => undefined)
    this.real = undefined
    if (isStartable(real)) {
      await real.beforeStop?.()
      await real.stop()
      await real.afterStop?.()
    }
  }

  private async transport (): Promise<Transport> {
    this.real ??= (async () => {
      const real = (await this.load())(this.components)
      if (isStartable(real)) {
        await real.beforeStart?.()
        await real.start()
        await real.afterStart?.()
      }
      return real
    })()
    // a load that failed is tried again at the next dial
    return this.real.catch(err => { this.real = undefined; throw err })
  }
}
