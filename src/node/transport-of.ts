import type { Connection } from '@libp2p/interface'

/** How a connection reaches its peer, as a person would name it. */
export type TransportName = 'tcp' | 'websockets' | 'webrtc-direct' | 'webrtc' | 'relay' | 'other'

/**
 * Names the transport of a connection from its remote address. A direct
 * WebRTC connection signalled through a relay has `/p2p-circuit/webrtc` in its
 * address but is not limited: it counts as `webrtc`, not `relay`.
 */
export function transportOf (connection: Pick<Connection, 'remoteAddr' | 'limits'>): TransportName {
  const names = connection.remoteAddr.getComponents().map(c => c.name)
  if (names.includes('webrtc')) return 'webrtc'
  if (names.includes('webrtc-direct')) return 'webrtc-direct'
  if (names.includes('p2p-circuit')) return 'relay'
  if (names.includes('ws') || names.includes('wss') || names.includes('tls')) return 'websockets'
  if (names.includes('tcp')) return 'tcp'
  return 'other'
}
