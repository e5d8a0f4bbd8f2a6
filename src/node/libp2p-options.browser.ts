import { webRTC, webRTCDirect } from '@libp2p/webrtc'
import { webSockets } from '@libp2p/websockets'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { ConfigError } from '../errors.js'
import { commonOptions } from './common-options.js'
import { isKeyText, keyTextBytes, protectorFor } from './private-network.js'
import type { defaultRole as NodeDefaultRole, libp2pOptions as NodeLibp2pOptions } from './libp2p-options.js'

/** In a page a node is a browser node. */
export const defaultRole: typeof NodeDefaultRole = 'browser'

/**
 * libp2p options for a page. A browser cannot listen on sockets: it dials
 * servers over WebSockets or WebRTC-direct, reserves a slot on a server's
 * relay (`/p2p-circuit`) and accepts direct WebRTC connections from other
 * pages signalled through it (`/webrtc`).
 *
 * With `network.psk` (the key itself: a page reads no files) the page is in
 * a private network: WebSockets and relayed connections only, each
 * protected with the key, since pnet cannot protect WebRTC.
 */
export const libp2pOptions: typeof NodeLibp2pOptions = async (input) => {
  const { config } = input
  const rtcConfiguration = { iceServers: config.webrtc.iceServers.map(urls => ({ urls })) }
  const common = commonOptions(input)
  const { psk } = config.network
  if (psk !== '' && !isKeyText(psk)) {
    throw new ConfigError('setting "network.psk" must hold the key itself in a page, which cannot read a key file', 'network.psk', psk)
  }
  return {
    ...common,
    ...(psk !== '' ? { connectionProtector: protectorFor(input.preSharedKey, keyTextBytes(psk), '(the key given inline)') } : {}),
    transports: [
      webSockets(),
      ...(psk !== '' ? [] : [webRTCDirect({ rtcConfiguration }), webRTC({ rtcConfiguration })]),
      circuitRelayTransport()
    ]
  }
}
