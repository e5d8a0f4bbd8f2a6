import { noise } from '@chainsafe/libp2p-noise'
import { tcp } from '@libp2p/tcp'
import { Circuit, WebRTC, WebRTCDirect, WebSockets, WebSocketsSecure } from '@multiformats/multiaddr-matcher'
import { readFileSync } from 'node:fs'
import { ConfigError } from '../errors.js'
import { commonOptions, type NodeServices, type OptionsInput } from './common-options.js'
import { lazyTransport, type TransportFactory } from './lazy-transport.js'
import { nodeNoiseCrypto } from './noise-crypto.js'
import { isKeyText, isWebRTC, keyTextBytes, protectorFor } from './private-network.js'
import { RelayRangeLimit, type RelayRangeComponents } from './relay-range-limit.js'
import { settleUdpPorts } from './udp-ports.js'
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
 *
 * A transient node (the CLI's) loads only TCP up front: its other
 * transports load at their first dial (`lazyTransport`), and it has no
 * relay server or keychain to load.
 */
export async function libp2pOptions (input: OptionsInput): Promise<Libp2pOptions<NodeServices>> {
  const { config } = input
  const rtcConfiguration = { iceServers: config.webrtc.iceServers.map(urls => ({ urls })) }
  const common = commonOptions(input)
  const key = swarmKey(config.network.psk)
  const transient = input.transient === true
  const relays = config.role === 'server' && !transient
  const rangeLimit = new RelayRangeLimit(config.relay.maxReservationsPerRange)
  const webRTCs = key != null ? [] : ['webRTCDirect', 'webRTC'] as const
  const others = transient
    ? [
        lazyTransport('WebSockets', ma => WebSockets.exactMatch(ma) || WebSocketsSecure.exactMatch(ma), async () => (await import('@libp2p/websockets')).webSockets()),
        ...webRTCs.map(name => name === 'webRTCDirect'
          ? lazyTransport('WebRTC-direct', ma => WebRTCDirect.exactMatch(ma), async () => (await import('@libp2p/webrtc')).webRTCDirect({ rtcConfiguration }))
          : lazyTransport('WebRTC', ma => WebRTC.exactMatch(ma), async () => (await import('@libp2p/webrtc')).webRTC({ rtcConfiguration }))),
        lazyTransport('circuit relay', ma => Circuit.exactMatch(ma), async () => (await import('@libp2p/circuit-relay-v2')).circuitRelayTransport())
      ]
    : await serverTransports(webRTCs.length > 0, rtcConfiguration)
  const { circuitRelayServer } = relays ? await import('@libp2p/circuit-relay-v2') : { circuitRelayServer: undefined }
  const keychain = transient ? undefined : (await import('@libp2p/keychain')).keychain
  const listen = (common.addresses?.listen ?? []).filter(a => key == null || !isWebRTC(a))
  return {
    ...common,
    addresses: { ...common.addresses, listen: await settleUdpPorts(listen) },
    ...(key != null ? { connectionProtector: protectorFor(input.preSharedKey, key.bytes, key.where) } : {}),
    ...(relays ? { connectionGater: { ...common.connectionGater, denyInboundRelayReservation: rangeLimit.deny } } : {}),
    connectionEncrypters: [noise({ crypto: nodeNoiseCrypto })],
    transports: [tcp(), ...others],
    services: {
      ...common.services,
      // keeps the WebRTC-direct certificate in the datastore, so a server's
      // certhash (and with it its bootstrap multiaddr) survives restarts. A
      // transient node (the CLI's put and get) keeps nothing: storing the
      // certificate derives a key with PBKDF2, which made a 1 KiB weft get
      // wait 0.2-0.8 s before its first dial. Node only: a page listens on
      // no WebRTC-direct, and the keychain's ASN.1 code is a fifth of a bundle
      ...(keychain == null ? {} : { keychain: keychain() }),
      ...(circuitRelayServer != null
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

/** Every transport but TCP, for a node that listens: loaded now, since it listens on them at start. */
async function serverTransports (withWebRTC: boolean, rtcConfiguration: RTCConfiguration): Promise<TransportFactory[]> {
  const [{ webSockets }, { circuitRelayTransport }, webrtc] = await Promise.all([
    import('@libp2p/websockets'),
    import('@libp2p/circuit-relay-v2'),
    withWebRTC ? import('@libp2p/webrtc') : undefined
  ])
  return [
    webSockets(),
    ...(webrtc != null ? [webrtc.webRTCDirect({ rtcConfiguration }), webrtc.webRTC({ rtcConfiguration })] : []),
    circuitRelayTransport()
  ]
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
