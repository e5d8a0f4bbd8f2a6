import { connect, type AddressInfo, type Socket } from 'node:net'
import { request } from 'node:http'
import { createServer, type Server } from 'node:https'
import type { IncomingMessage } from 'node:http'

/** Where the proxy forwards: the weft server's HTTP side and its `/ws` listener. */
export interface ProxyUpstreams {
  /** host:port of the page's HTTP server (`http.host`/`http.port`). */
  http: { host: string, port: number }
  /** host:port of the server's plain WebSockets listener (`/ip4/…/tcp/N/ws`). */
  ws: { host: string, port: number }
}

/**
 * A TLS-terminating reverse proxy such as nginx or Caddy would be in front of
 * a weft server on the internet, reduced to what weft needs of one: on one
 * https port it serves the page (plain requests go to the HTTP server) and
 * carries libp2p's WebSockets (requests with `Upgrade: websocket` go to the
 * server's `/ws` listener, bytes piped both ways once upgraded). Browsers
 * dial a `/wss` address at the path `/`, the same path as the page, so the
 * proxy tells the two apart by the Upgrade header, as the nginx and Caddy
 * configurations in docs/deploy.md do.
 *
 * Upstreams are set after the proxy listens, because the weft server must be
 * started knowing the proxy's port (it announces it).
 */
export class TlsProxy {
  private readonly server: Server
  private upstreams?: ProxyUpstreams
  private readonly sockets = new Set<Socket>()
  /** WebSocket upgrades forwarded so far. */
  upgrades = 0

  /** `key` and `cert` in PEM; `cert` may hold the chain (leaf first). */
  constructor (tls: { key: string, cert: string }) {
    this.server = createServer(tls, (req, res) => {
      const upstream = this.target('http')
      const forwarded = request({ ...upstream, method: req.method, path: req.url, headers: forwardedHeaders(req) }, answer => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      })
      forwarded.on('error', err => { res.writeHead(502).end(`upstream: ${err.message}\n`) })
      req.pipe(forwarded)
    })
    this.server.on('upgrade', (req: IncomingMessage, client: Socket, head: Buffer) => {
      this.upgrades++
      const upstream = connect(this.target('ws'))
      this.track(client)
      this.track(upstream)
      upstream.once('connect', () => {
        const lines = [`${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/1.1`]
        for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`)
        lines.push(`X-Forwarded-For: ${client.remoteAddress ?? ''}`, 'X-Forwarded-Proto: https', '', '')
        upstream.write(lines.join('\r\n'))
        if (head.length > 0) upstream.write(head)
        upstream.pipe(client)
        client.pipe(upstream)
      })
      upstream.on('error', () => { client.destroy() })
      client.on('error', () => { upstream.destroy() })
    })
    this.server.on('connection', (socket: Socket) => { this.track(socket) })
  }

  /** Listens on `host` (port 0: any free one) and resolves with the port. */
  async listen (host: string, port = 0): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(port, host, () => { this.server.off('error', reject); resolve() })
    })
    return (this.server.address() as AddressInfo).port
  }

  /** Where to forward from now on. */
  forwardTo (upstreams: ProxyUpstreams): void {
    this.upstreams = upstreams
  }

  async close (): Promise<void> {
    for (const socket of this.sockets) socket.destroy()
    await new Promise<void>(resolve => this.server.close(() => { resolve() }))
  }

  private target (which: keyof ProxyUpstreams): { host: string, port: number } {
    if (this.upstreams == null) throw new Error('the TLS proxy was asked to forward before forwardTo() named its upstreams')
    return this.upstreams[which]
  }

  private track (socket: Socket): void {
    this.sockets.add(socket)
    socket.once('close', () => { this.sockets.delete(socket) })
  }
}

/** The request's headers as a proxy passes them on, saying it was https. */
function forwardedHeaders (req: IncomingMessage): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(req.headers)) if (value != null) headers[name] = value
  headers['x-forwarded-for'] = req.socket.remoteAddress ?? ''
  headers['x-forwarded-proto'] = 'https'
  return headers
}
