// weft's own transfer: seeders are weft server processes that hold every
// block of the file, the fetcher a fresh transient node that gets it.
//
// seed: a server on the task's host (127.0.0.1, or its capped link's) joined to the seeders started before it. With
// N seeders the last one, once its DHT knows the N - 1 others, puts the file
// with storage.replication = writeQuorum = N, so the put resolves only when
// every seeder holds every block. A lone seeder imports the file into its own
// block store and pins it, as `put` does before placing blocks, so its set-up
// depends on no DHT (a lone server's `put` waited forever before e9814bc). The
// put is set-up, not measured. The last seeder's ready line carries the root CID.
//
// fetch: `createNode({ bootstrap: seeders }, { transient: true })`, then the
// clock starts, the fetcher dials every seeder (as the Helia fetcher does:
// @libp2p/bootstrap itself would wait a second before dialling) and
// `node.get(cid)` streams the file; every byte is hashed in order and the
// clock stops once the SHA-256 matched. The clock therefore includes what any
// other fetcher's includes (dials and handshakes) plus weft's own start-up:
// identify filling the DHT routing table and the lookup of the root's
// replica set.
import { createReadStream } from 'node:fs'
import { multiaddr } from '@multiformats/multiaddr'
import { Verifier, report, runMain, task, untilReleased } from './peer-io.js'
import { addrsOf, holdFile, startServer, startTransient, untilRoutingTable } from './weft-nodes.js'
import type { FetchTask, SeedTask } from './transfer.js'

async function seed (t: SeedTask): Promise<void> {
  const last = t.index === t.count - 1
  const server = await startServer({
    tmpDir: t.tmpDir,
    listen: [`/ip4/${t.host}/tcp/0`],
    bootstrap: addrsOf(t.peers),
    replication: t.count,
    writeQuorum: t.count
  })
  try {
    const ready: Record<string, unknown> = { ready: true, addrs: server.node.getMultiaddrs().map(String) }
    if (last) {
      await untilRoutingTable(server.node, t.count - 1)
      if (t.count === 1) {
        const held = await holdFile(server.node, t.file)
        Object.assign(ready, { cid: held.cid.toString(), replicas: 1, blocks: held.blocks, putMs: held.ms })
      } else {
        const started = performance.now()
        const put = await server.node.put(createReadStream(t.file, { highWaterMark: 1 << 20 }))
        if (put.replicas < t.count) throw new Error(`put reached ${put.replicas} replicas, not ${t.count}`)
        Object.assign(ready, { cid: put.cid.toString(), replicas: put.replicas, blocks: put.blocks, putMs: performance.now() - started })
      }
    }
    report(ready)
    await untilReleased()
  } finally {
    await server.stop()
  }
}

async function fetch ({ seeders, size, sha256 }: FetchTask): Promise<void> {
  const cid = seeders.find(s => s.cid != null)?.cid as string | undefined
  if (cid == null) throw new Error('no seeder reported the root CID')
  const node = await startTransient(addrsOf(seeders))
  try {
    const verifier = new Verifier({ size, sha256 })
    let firstByteMs: number | undefined
    const start = performance.now()
    await Promise.all(addrsOf(seeders).map(async addr => node.dial(multiaddr(addr))))
    for await (const chunk of node.get(cid)) {
      firstByteMs ??= performance.now() - start
      verifier.update(chunk)
    }
    report({ ...verifier.finish(), firstByteMs, connections: node.getConnections().length })
  } finally {
    await node.stop()
  }
}

runMain(async () => {
  const t = task<SeedTask | FetchTask>()
  await (t.role === 'seed' ? seed(t) : fetch(t))
})
