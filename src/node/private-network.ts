import { multiaddr } from '@multiformats/multiaddr'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { ConfigError } from '../errors.js'
import type { ConnectionProtector } from '@libp2p/interface'
import type { preSharedKey } from '@libp2p/pnet'

/** @libp2p/pnet's factory: loaded only for a private network (createNode), so the public network's page bundle holds none of it. */
export type PreSharedKey = typeof preSharedKey

/** The first line of a libp2p (and IPFS) swarm key file. */
export const PSK_HEADER = '/key/swarm/psk/1.0.0/'

/**
 * How long two nodes of a private network may take to swap the nonces that
 * start a protected connection, where libp2p hands pnet no signal of its own
 * (it usually does: its upgrade time-out): pnet's own second is too short for
 * a busy server.
 */
export const PSK_HANDSHAKE_TIMEOUT_MS = 10_000

/** Whether `network.psk` holds the key itself rather than the path of a file holding it. */
export function isKeyText (value: string): boolean {
  return value.trimStart().startsWith(PSK_HEADER)
}

/**
 * libp2p's pnet connection protector for a swarm key (the bytes of a
 * `/key/swarm/psk/1.0.0/` key file). The key is checked here, so a broken
 * one fails the node's start naming `network.psk`, not its first connection.
 */
export function protectorFor (pnet: PreSharedKey | undefined, key: Uint8Array, where: string): () => ConnectionProtector {
  if (pnet == null) throw new Error('a private network\'s node needs @libp2p/pnet loaded first (createNode does it)')
  const make = pnet({ psk: key, timeout: PSK_HANDSHAKE_TIMEOUT_MS })
  try {
    make()
  } catch {
    throw new ConfigError(`setting "network.psk" ${where} is not a swarm key: expected "${PSK_HEADER}", "/base16/" and 64 hex digits on three lines`, 'network.psk', where)
  }
  return make
}

/** The key text of `network.psk` given inline, as bytes. */
export function keyTextBytes (value: string): Uint8Array {
  return uint8ArrayFromString(value.trim())
}

/**
 * Whether a multiaddr uses WebRTC. pnet protects only connections that go
 * through libp2p's upgrader; `@libp2p/webrtc` (WebRTC and WebRTC-direct)
 * sets up its connections without it (`skipProtection`), so a private
 * network must not listen on or dial WebRTC at all.
 */
export function isWebRTC (address: string): boolean {
  try {
    return multiaddr(address).getComponents().some(c => c.name === 'webrtc' || c.name === 'webrtc-direct')
  } catch {
    return false
  }
}
