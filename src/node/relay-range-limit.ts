import type { PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/**
 * The IP range a client address counts against: its /24 for IPv4, its /48
 * for IPv6 (the smallest block one household or office is usually given),
 * so one machine or one subnet with many PeerIds counts once.
 */
export function ipRangeOf (addr: Multiaddr): string | undefined {
  for (const { name, value } of addr.getComponents()) {
    if (value == null) continue
    if (name === 'ip4') return `ip4/${value.split('.').slice(0, 3).join('.')}`
    if (name === 'ip6') return `ip6/${expandIPv6(value).slice(0, 3).join(':')}`
  }
  return undefined
}

function expandIPv6 (value: string): string[] {
  const [head, tail] = value.split('::')
  const left = head === '' ? [] : head.split(':')
  const right = tail == null || tail === '' ? [] : tail.split(':')
  const fill = tail == null ? [] : Array.from({ length: 8 - left.length - right.length }, () => '0')
  return [...left, ...fill, ...right].map(group => group.toLowerCase().replace(/^0+(?=.)/, ''))
}

/** What the relay-range limit sees of the node: the relay's reservations, and a peer's connections. */
export interface RelayRangeComponents {
  relay?: { reservations: { get: (peer: PeerId) => unknown, values: () => Iterable<{ addr: Multiaddr }> } }
  connectionManager: { getConnections: (peer?: PeerId) => Array<{ remoteAddr: Multiaddr }> }
}

/**
 * `relay.maxReservationsPerRange`: how many circuit-relay reservations the
 * clients of one IP range may hold on this server at once. The relay's own
 * limits are per server (`relay.maxReservations`) and, implicitly, one per
 * PeerId; PeerIds are free, so without this one script could take every
 * slot and no page could be reached. Applied through libp2p's connection
 * gater (`denyInboundRelayReservation`), which names only the peer: its
 * range is read from its connection. Refreshing a reservation held already
 * is never refused.
 */
export class RelayRangeLimit {
  private components: RelayRangeComponents | undefined
  /** Reservations refused since start. */
  refused = 0

  constructor (private readonly maxPerRange: number) {}

  /** Hands the limit the node's components (it is made before the node). */
  attach (components: RelayRangeComponents): void {
    this.components = components
  }

  readonly deny = async (peer: PeerId): Promise<boolean> => {
    const components = this.components
    const relay = components?.relay
    if (this.maxPerRange <= 0 || components == null || relay == null) return false
    if (relay.reservations.get(peer) != null) return false
    const direct = components.connectionManager.getConnections(peer).find(c => !c.remoteAddr.getComponents().some(p => p.name === 'p2p-circuit'))
    const range = direct != null ? ipRangeOf(direct.remoteAddr) : undefined
    if (range == null) return false
    let held = 0
    for (const reservation of relay.reservations.values()) if (ipRangeOf(reservation.addr) === range) held++
    if (held < this.maxPerRange) return false
    this.refused++
    return true
  }
}
