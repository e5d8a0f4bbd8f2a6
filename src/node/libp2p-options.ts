import { noise } from '@chainsafe/libp2p-noise'
import { tcp } from '@libp2p/tcp'
import { webRTC, webRTCDirect } from '@libp2p/webrtc'
import { webSockets } from '@libp2p/websockets'
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { commonOptions, type NodeServices, type OptionsInput } from './common-options.js'
import { nodeNoiseCrypto } from './noise-crypto.js'
import type { Role } from '../config/config.js'
import type { Libp2pOptions } from 'libp2p'

/** In Node.js a node is a server unless told otherwise. */
export const defaultRole: Role = 'server'

/**
 * libp2p options for a Node.js process. A server listens on TCP, WebSockets
 * and WebRTC-direct, dials every transport, and runs a circuit-relay server so
 * browsers can reserve a slot and signal WebRTC through it.
 */
export function libp2pOptions (input: OptionsInput): Libp2pOptions<NodeServices> {
  const { config } = input
  const rtcConfiguration = { iceServers: config.webrtc.iceServers.map(urls => ({ urls })) }
  const common = commonOptions(input)
  return {
    ...common,
    connectionEncrypters: [noise({ crypto: nodeNoiseCrypto })],
    transports: [
      tcp(),
      webSockets(),
      webRTCDirect({ rtcConfiguration }),
      webRTC({ rtcConfiguration }),
      circuitRelayTransport()
    ],
    services: config.role === 'server' && input.transient !== true
      ? {
          ...common.services,
          relay: circuitRelayServer({
            reservations: {
              maxReservations: config.relay.maxReservations,
              reservationTtl: config.relay.reservationTtlMs
            }
          })
        }
      : common.services
  }
}
