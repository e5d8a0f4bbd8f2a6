import { noise } from '@chainsafe/libp2p-noise'
import { tcp } from '@libp2p/tcp'
import { webRTC, webRTCDirect } from '@libp2p/webrtc'
import { webSockets } from '@libp2p/websockets'
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { keychain } from '@libp2p/keychain'
import { readFileSync } from 'node:fs'
import { ConfigError } from '../errors.js'
import { commonOptions, type NodeServices, type OptionsInput } from './common-options.js'
import { nodeNoiseCrypto } from './noise-crypto.js'
import { isKeyText, isWebRTC, keyTextBytes, protectorFor } from './private-network.js'
import { RelayRangeLimit, type RelayRangeComponents } from './relay-range-limit.js'
import type { Role } from '../config/config.js'
import type { Libp2pOptions } from 'libp2p'

/** In Node.js a node is a server unless told otherwise. */
export const defaultRole: Role = 'server'

/**
 * libp2p options for a Node.js process. A server listens on TCP, WebSockets
 * and WebRTC-direct, dials every transport, and runs a circuit-relay server so
 * browsers can reserve a slot and signal WebRTC through it.
 *
 * With `network.psk` the node is in a private network: every connection is
 * protected with the pre-shared key (libp2p pnet), and WebRTC is off, since
 * pnet cannot protect it (see `isWebRTC`).
 */
export function libp2pOptions (input: OptionsInput): Libp2pOptions<NodeServices> {
  const { config } = input
  const rtcConfiguration = { iceServers: config.webrtc.iceServers.map(urls => ({ urls })) }
  const common = commonOptions(input)
  const key = swarmKey(config.network.psk)
  const relays = config.role === 'server' && input.transient !== true
  const rangeLimit = new RelayRangeLimit(config.relay.maxReservationsPerRange)
  return {
    ...common,
    ...(key != null
      ? {
          connectionProtector: protectorFor(input.preSharedKey, key.bytes, key.where),
          addresses: { ...common.addresses, listen: (common.addresses?.listen ?? []).filter(a => !isWebRTC(a)) }
        }
      : {}),
    ...(relays ? { connectionGater: { ...common.connectionGater, denyInboundRelayReservation: rangeLimit.deny } } : {}),
    connectionEncrypters: [noise({ crypto: nodeNoiseCrypto })],
    transports: [
      tcp(),
      webSockets(),
      ...(key != null ? [] : [webRTCDirect({ rtcConfiguration }), webRTC({ rtcConfiguration })]),
      circuitRelayTransport()
    ],
    services: {
      ...common.services,
      // keeps the WebRTC-direct certificate in the datastore, so a server's
      // certhash (and with it its bootstrap multiaddr) survives restarts. A
      // transient node (the CLI's put and get) keeps nothing: storing the
      // certificate derives a key with PBKDF2, which made a 1 KiB weft get
      // wait 0.2-0.8 s before its first dial. Node only: a page listens on
      // no WebRTC-direct, and the keychain's ASN.1 code is a fifth of a bundle
      ...(input.transient === true ? {} : { keychain: keychain() }),
      ...(relays
        ? {
            relay: circuitRelayServer({
              reservations: {
                maxReservations: config.relay.maxReservations,
                reservationTtl: config.relay.reservationTtlMs
              }
            }),
            // gives the gater's range limit the relay's reservations (services see each other as components)
            relayRangeLimit: (components: RelayRangeComponents) => { rangeLimit.attach(components); return rangeLimit }
          }
        : {})
    }
  }
}

/** The swarm key `network.psk` gives, inline or in a file; undefined for the public network. */
function swarmKey (psk: string): { bytes: Uint8Array, where: string } | undefined {
  if (psk === '') return undefined
  if (isKeyText(psk)) return { bytes: keyTextBytes(psk), where: '(the key given inline)' }
  try {
    return { bytes: readFileSync(psk), where: `file ${psk}` }
  } catch (err: any) {
    throw new ConfigError(`setting "network.psk" names the key file ${psk}, which cannot be read: ${err?.code ?? err?.message}`, 'network.psk', psk)
  }
}
