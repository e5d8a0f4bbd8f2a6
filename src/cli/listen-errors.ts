import { ListenError } from '../errors.js'
import { udpListenError } from '../node/udp-ports.js'

// libp2p and node:http say a port is taken in their own words (a stack trace
// that names transportManager.faultTolerance, a setting weft does not have);
// these say which address and which weft setting.

/** Why listening failed, from a socket error code, in a few words. */
function reasonFor (code: string | undefined, fallback: string): string {
  switch (code) {
    case 'EADDRINUSE': return 'the port is taken, by another weft start perhaps'
    case 'EADDRNOTAVAIL': return 'the address is not one of this machine\'s'
    case 'EACCES': return 'permission denied (ports below 1024 need privileges)'
    default: return code ?? fallback
  }
}

/**
 * The ListenError for libp2p's UnsupportedListenAddressesError (its message
 * lists each failed address and its error), or for WebRTC-direct's failure to
 * bind its UDP port (which names no address: `listen` gives the ones it may
 * be), or undefined for any other error.
 */
export function listenErrorFromLibp2p (err: any, listen: string[] = []): ListenError | undefined {
  if (err?.message === 'Failed to register ICE UDP mux listener') {
    return udpListenError(listen.filter(a => a.includes('/webrtc-direct')), 'EADDRINUSE', err)
  }
  if (err?.name !== 'UnsupportedListenAddressesError') return undefined
  const failed = [...String(err.message).matchAll(/^\s*(\/\S+): (?:\w*Error: )?(?:listen (E[A-Z]+)\b)?(.*)$/gm)]
    .map(m => ({ address: m[1], reason: reasonFor(m[2], m[3].trim()) }))
  if (failed.length === 0) return undefined
  const list = failed.map(f => `${f.address} (${f.reason})`).join(', ')
  return new ListenError(`cannot listen on ${list}: change "listen" (--listen MULTIADDR; port 0 picks a free one)`, failed[0].address, 'listen', { cause: err })
}

/** The ListenError for the HTTP server's failure to listen on `host`:`port`, or undefined. */
export function listenErrorFromHttp (err: any, host: string, port: number): ListenError | undefined {
  if (typeof err?.code !== 'string' || err.syscall !== 'listen') return undefined
  const address = `${host}:${port}`
  return new ListenError(`cannot serve HTTP on ${address}: ${reasonFor(err.code, err.message)}: change "http.port" (--http.port N; 0 picks a free one) or turn HTTP off (--http.enabled false)`, address, 'http.port', { cause: err })
}
