import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { readFile } from 'node:fs/promises'
import { extname, join, normalize, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Gateway } from './gateway/gateway.js'
import { GATEWAY_PREFIX } from './gateway/request.js'
import type { WeftNode } from '../index.js'

/** The bundled page, built by `npm run build` into `dist/web`. */
export const WEB_ROOT = resolve(fileURLToPath(new URL('../../web', import.meta.url)))

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon'
}

/** What a page fetches from `/weft/bootstrap.json` to join through the server that served it. */
export interface BootstrapInfo {
  peerId: string
  /** The server's addresses a browser can dial: WebSockets and WebRTC-direct. */
  bootstrap: string[]
  allowPrivateAddresses: boolean
}

/** The addresses of a node that a browser can dial (it has no raw TCP or UDP). */
export function browserDialable (node: WeftNode): string[] {
  return node.getMultiaddrs()
    .filter(ma => ma.getComponents().some(c => c.name === 'ws' || c.name === 'wss' || c.name === 'webrtc-direct'))
    .filter(ma => ma.getComponents().every(c => c.name !== 'p2p-circuit'))
    .map(ma => ma.toString())
}

/**
 * The server's HTTP side: the web page, the bootstrap addresses a page
 * served from here uses to join the network, the node's status, its metrics
 * for Prometheus (`/metrics`) and (unless `http.gateway` is off) the IPFS
 * gateway under `/ipfs/`.
 */
export class HttpServer {
  private readonly node: WeftNode
  private readonly root: string
  private readonly gateway: Gateway | undefined
  private server?: Server

  constructor (node: WeftNode, root = WEB_ROOT) {
    this.node = node
    this.root = root
    const { http } = node.config
    this.gateway = http.gateway
      ? new Gateway({ storage: node.libp2p.services.storage, timeoutMs: http.gatewayTimeoutMs, maxBytes: http.gatewayMaxBytes })
      : undefined
  }

  /** Listens and resolves with the base URL, e.g. `http://127.0.0.1:8080/`. */
  async listen (host: string, port: number): Promise<string> {
    const server = createServer((req, res) => { this.handle(req, res).catch(err => fail(res, 500, String(err))) })
    this.server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => { server.off('error', reject); resolve() })
    })
    const address = server.address()
    if (address == null || typeof address === 'string') throw new Error('HTTP server has no address')
    // a wildcard address is not something a person can open
    const wildcard = address.address === '0.0.0.0' || address.address === '::'
    const shownHost = wildcard ? 'localhost' : address.family === 'IPv6' ? `[${address.address}]` : address.address
    return `http://${shownHost}:${address.port}/`
  }

  async close (): Promise<void> {
    const server = this.server
    if (server == null) return
    server.closeAllConnections()
    await new Promise<void>(resolve => server.close(() => { resolve() }))
  }

  private async handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      fail(res, 405, 'method not allowed'); return
    }
    const rawPath = new URL(req.url ?? '/', 'http://x').pathname
    if (rawPath.startsWith(GATEWAY_PREFIX) || rawPath === '/ipfs') {
      if (this.gateway == null) { fail(res, 404, 'the IPFS gateway is off on this server (http.gateway false)'); return }
      await this.gateway.handle(req, res); return
    }
    let path: string
    try {
      path = decodeURIComponent(rawPath)
    } catch {
      fail(res, 400, `the path ${rawPath} is not valid percent-encoding`); return
    }
    if (path === '/weft/bootstrap.json') {
      const info: BootstrapInfo = {
        peerId: this.node.peerId.toString(),
        bootstrap: browserDialable(this.node),
        allowPrivateAddresses: this.node.config.allowPrivateAddresses
      }
      send(res, 200, 'application/json', JSON.stringify(info), 'no-store'); return
    }
    if (path === '/weft/status.json') {
      send(res, 200, 'application/json', JSON.stringify(this.node.status()), 'no-store'); return
    }
    if (path === '/metrics') {
      const metrics = await this.node.metrics()
      if (metrics == null) {
        fail(res, 404, 'metrics are off on this server (http.metrics)'); return
      }
      send(res, 200, metrics.contentType, metrics.text, 'no-store'); return
    }
    await this.serveFile(path === '/' ? '/index.html' : path, res)
  }

  private async serveFile (path: string, res: ServerResponse): Promise<void> {
    const file = normalize(join(this.root, path))
    if (!file.startsWith(this.root + sep)) {
      fail(res, 404, 'not found'); return
    }
    let body: Buffer
    try {
      body = await readFile(file)
    } catch {
      fail(res, 404, 'not found'); return
    }
    send(res, 200, CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', body, 'no-cache')
  }
}

function send (res: ServerResponse, status: number, type: string, body: string | Buffer, cache: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': cache, 'x-content-type-options': 'nosniff' })
  res.end(body)
}

function fail (res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) { res.destroy(); return }
  send(res, status, 'text/plain; charset=utf-8', message + '\n', 'no-store')
}
