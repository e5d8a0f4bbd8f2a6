import type { ContentRouting, Libp2pEvents, Logger, TypedEventTarget } from '@libp2p/interface'
import type { AddressManager } from '@libp2p/interface-internal'
import type { CID } from 'multiformats/cid'

/** How long a provider announcement waits for this node to have an address. */
export const ANNOUNCE_WAIT_MS = 30_000

export interface AnnouncerComponents {
  addressManager: AddressManager
  events: TypedEventTarget<Libp2pEvents>
  contentRouting: ContentRouting
}

/**
 * Announces this node as a provider of files it holds whole (the DHT's
 * provider records), so others can fetch from it. A provider record carries
 * the node's addresses, and servers drop one without any: a page has none
 * until its relay reservation is made, so an announcement waits for an
 * address first.
 */
export class Announcer {
  constructor (private readonly components: AnnouncerComponents, private readonly log: Logger, private readonly stopping: AbortSignal) {}

  /** Announces in the background; a failure is logged. */
  announce (cid: CID): void {
    this.announceNow(cid, this.stopping).catch(err => {
      this.log('announcing %c failed: %s', cid, (err as Error).message)
    })
  }

  /** Resolves once the provider record is stored in the DHT. */
  async announceNow (cid: CID, signal: AbortSignal): Promise<void> {
    await this.reachable(signal)
    await this.components.contentRouting.provide(cid, { signal })
  }

  /** Resolves once this node has an address others can dial (at most ANNOUNCE_WAIT_MS). */
  private async reachable (signal: AbortSignal): Promise<void> {
    if (this.components.addressManager.getAddresses().length > 0) return
    await new Promise<void>(resolve => {
      const done = (): void => {
        clearTimeout(timer)
        this.components.events.removeEventListener('self:peer:update', check)
        signal.removeEventListener('abort', done)
        resolve()
      }
      const check = (): void => { if (this.components.addressManager.getAddresses().length > 0) done() }
      const timer = setTimeout(done, ANNOUNCE_WAIT_MS)
      this.components.events.addEventListener('self:peer:update', check)
      signal.addEventListener('abort', done, { once: true })
    })
  }
}
