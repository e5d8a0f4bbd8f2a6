import { createSocket, type Socket } from 'node:dgram'
import { multiaddr } from '@multiformats/multiaddr'
import { WebRTCDirect } from '@multiformats/multiaddr-matcher'
import { ListenError } from '../errors.js'

// libp2p's WebRTC-direct listener hands its host and UDP port to libjuice,
// which binds them. For port 0 it first asks get-port for a free port, and
// get-port checks TCP: a port free for TCP but taken for UDP (another
// server's WebRTC-direct, on a machine running many) makes the start fail
// with "Failed to register ICE UDP mux listener", naming neither the address
// nor the port. So the node picks its UDP ports itself, where the kernel
// knows which are free, and says which address is taken.

/**
 * The listen addresses with each WebRTC-direct address's UDP port settled:
 * port 0 becomes a port free for UDP on its host now, and a port given is
 * checked to be free there. Other addresses are returned as they are.
 *
 * @throws {ListenError} when a WebRTC-direct address's port is taken
 */
export async function settleUdpPorts (listen: string[]): Promise<string[]> {
  return Promise.all(listen.map(async address => {
    const ma = multiaddr(address)
    if (!WebRTCDirect.exactMatch(ma)) return address
    const components = ma.getComponents()
    const ip = components[0]
    const port = Number(components.find(c => c.name === 'udp')?.value)
    if ((ip.name !== 'ip4' && ip.name !== 'ip6') || ip.value == null || !Number.isInteger(port)) return address
    let bound: number
    try {
      bound = await bindAndClose(createSocket(ip.name === 'ip4' ? 'udp4' : 'udp6'), ip.value, port)
    } catch (err: any) {
      throw udpListenError([address], err?.code, err)
    }
    if (port === bound) return address
    return address.replace(/\/udp\/0(?=\/)/, `/udp/${bound}`)
  }))
}

/** `port` on `host` bound and let go at once: `port` itself, or with 0 the one the kernel picks. */
async function bindAndClose (socket: Socket, host: string, port: number): Promise<number> {
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject)
      socket.bind({ address: host, port, exclusive: true }, () => { socket.off('error', reject); resolve() })
    })
    return socket.address().port
  } finally {
    await new Promise<void>(resolve => {
      try { socket.close(() => { resolve() }) } catch { resolve() }
    })
  }
}

/**
 * The ListenError for WebRTC-direct addresses whose UDP port could not be
 * bound (`code`: the socket error's), naming them and the `listen` setting.
 * Also for libjuice's own failure, which names none: `addresses` are then
 * every WebRTC-direct address the node was to listen on.
 */
export function udpListenError (addresses: string[], code: string | undefined, cause: unknown): ListenError {
  const list = addresses.length > 0 ? addresses.join(', ') : 'a WebRTC-direct address'
  return new ListenError(`cannot listen on ${list} (${reasonFor(code)}): change "listen" (--listen MULTIADDR; port 0 picks a free one)`, addresses[0] ?? '', 'listen', { cause })
}

function reasonFor (code: string | undefined): string {
  switch (code) {
    case 'EADDRINUSE': return 'the UDP port is taken, by another weft start perhaps'
    case 'EACCES': return 'permission denied (ports below 1024 need privileges)'
    default: return code ?? 'the UDP port cannot be bound'
  }
}
