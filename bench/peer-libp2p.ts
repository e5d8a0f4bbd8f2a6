// The js-libp2p stack's own limit: one stream over TCP + noise + yamux, the
// seeder writing the file in 64 KiB `send()`s and waiting on `onDrain()`, the
// fetcher reading and hashing. Nothing of weft runs here; whatever weft adds
// per byte comes off this figure.
import { readFile } from 'node:fs/promises'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p } from 'libp2p'
import { Verifier, report, runMain, sendBytesHandler, task, untilReleased } from './peer-io.js'
import type { FetchTask, SeedTask } from './transfer.js'

/** The benchmark's own protocol: open a stream, receive the whole file. */
const PROTOCOL = '/weft-bench/one-stream/1.0.0'

async function node (listen: string[]): Promise<Libp2p> {
  return createLibp2p({
    addresses: { listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()]
  })
}

async function seed ({ file }: SeedTask): Promise<void> {
  const bytes = await readFile(file)
  const libp2p = await node(['/ip4/127.0.0.1/tcp/0'])
  await libp2p.handle(PROTOCOL, sendBytesHandler(bytes))
  report({ ready: true, addrs: libp2p.getMultiaddrs().map(String) })
  await untilReleased()
  await libp2p.stop()
}

async function fetch ({ seeders, size, sha256 }: FetchTask): Promise<void> {
  const libp2p = await node([])
  const verifier = new Verifier({ size, sha256 })
  const stream = await libp2p.dialProtocol(multiaddr((seeders[0].addrs as string[])[0]), PROTOCOL)
  for await (const chunk of stream) verifier.update(chunk.subarray())
  report(verifier.finish())
  await libp2p.stop()
}

runMain(async () => {
  const t = task<SeedTask | FetchTask>()
  await (t.role === 'seed' ? seed(t) : fetch(t))
})
