import { webRTC, webRTCDirect } from '@libp2p/webrtc'
import { webSockets } from '@libp2p/websockets'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { commonOptions } from './common-options.js'
import type { defaultRole as NodeDefaultRole, libp2pOptions as NodeLibp2pOptions } from './libp2p-options.js'

/** In a page a node is a browser node. */
export const defaultRole: typeof NodeDefaultRole = 'browser'

/**
 * libp2p options for a page. A browser cannot listen on sockets: it dials
 * servers over WebSockets or WebRTC-direct, reserves a slot on a server's
 * relay (`/p2p-circuit`) and accepts direct WebRTC connections from other
 * pages signalled through it (`/webrtc`).
 */
export const libp2pOptions: typeof NodeLibp2pOptions = (input) => {
  const { config } = input
  const rtcConfiguration = { iceServers: config.webrtc.iceServers.map(urls => ({ urls })) }
  const common = commonOptions(input)
  return {
    ...common,
    transports: [
      webSockets(),
      webRTCDirect({ rtcConfiguration }),
      webRTC({ rtcConfiguration }),
      circuitRelayTransport()
    ]
  }
}
