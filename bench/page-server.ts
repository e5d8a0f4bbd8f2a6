// The weft server of item 6, which pages join and fetch from: WebSockets and
// WebRTC-direct on `host` (198.18.0.1 inside the bench's network namespace:
// Chromium gathers no WebRTC candidates on loopback alone), its relay for the
// pages' WebRTC signalling, and the page itself with /weft/bootstrap.json over
// HTTP on 127.0.0.1 (browsers give WebCrypto only to secure contexts, and
// plain http is one only on loopback), as `weft start` serves it. It holds
// every block of the file it is given (imported and pinned, as the lone seeder
// of peer-weft.ts), and serves it as the stack's reference too: one libp2p
// stream of the task's `streamProtocol`, written in 64 KiB `send()`s from
// memory (as peer-libp2p.ts's seeder does). Its ready line carries its
// addresses, the page's URL and the root CID; it lives until the orchestrator
// closes its stdin.
import { readFile } from 'node:fs/promises'
import { HttpServer } from '../src/http/server.js'
import { report, runMain, sendBytesHandler, task, untilReleased } from './peer-io.js'
import { holdFile, startServer } from './weft-nodes.js'


/** What the page server is told. */
export interface PageServerTask {
  role: 'page-server'
  tmpDir: string
  /** Where WebSockets and WebRTC-direct listen. */
  host: string
  /** The file to hold. */
  file: string
  /** The reference's protocol: open a stream of it, receive the whole file. */
  streamProtocol: string
  /** Other builds of the page to serve beside dist/web, each on a port of its own (bench/page-profile.ts's A/B runs). */
  webRoots?: string[]
}

/** Its ready line. */
export interface PageServerReady {
  ready: true
  peerId: string
  addrs: string[]
  /** The page, e.g. `http://127.0.0.1:40123/`. */
  httpUrl: string
  /** The page of each of the task's `webRoots`, in order. */
  otherUrls: string[]
  cid: string
  blocks: number
}

runMain(async () => {
  const t = task<PageServerTask>()
  const server = await startServer({
    tmpDir: t.tmpDir,
    listen: [`/ip4/${t.host}/tcp/0/ws`, `/ip4/${t.host}/udp/0/webrtc-direct`]
  })
  const http = new HttpServer(server.node)
  const others = (t.webRoots ?? []).map(root => new HttpServer(server.node, root))
  try {
    const held = await holdFile(server.node, t.file)
    const bytes = await readFile(t.file)
    await server.node.libp2p.handle(t.streamProtocol, sendBytesHandler(bytes))
    const ready: PageServerReady = {
      ready: true,
      peerId: server.node.peerId.toString(),
      addrs: server.node.getMultiaddrs().map(String),
      httpUrl: await http.listen('127.0.0.1', 0),
      otherUrls: await Promise.all(others.map(async other => other.listen('127.0.0.1', 0))),
      cid: held.cid.toString(),
      blocks: held.blocks
    }
    report(ready)
    await untilReleased()
  } finally {
    await http.close()
    for (const other of others) await other.close()
    await server.stop()
  }
})
