// Helia peer: `seed` imports the file (Helia's default UnixFS settings: 1 MiB
// chunks, raw leaves, CIDv1) and serves it over bitswap; `fetch` dials the
// seeders directly and reads the file with `unixfs.cat`. No public bootstrap,
// no DHT, no delegated routing: only the seeders' addresses.
import { readFile } from 'node:fs/promises'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { withBitswap } from '@helia/bitswap'
import { withLibp2pLight } from '@helia/libp2p'
import { unixfs } from '@helia/unixfs'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createHeliaLight } from 'helia'
import { CID } from 'multiformats/cid'
import { Verifier, main, report, task, untilReleased } from './common.mjs'

async function createPeer (listen) {
  const helia = withBitswap(withLibp2pLight(createHeliaLight({}), {
    addresses: { listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() }
  }))
  await helia.start()
  return helia
}

async function seed ({ file, host }) {
  const helia = await createPeer([`/ip4/${host ?? '127.0.0.1'}/tcp/0`])
  const cid = await unixfs(helia).addBytes(await readFile(file))
  report({ ready: true, addrs: helia.libp2p.getMultiaddrs().map(String), cid: cid.toString() })
  await untilReleased()
  await helia.stop()
}

async function fetch ({ seeders, size, sha256 }) {
  const helia = await createPeer([])
  const verifier = new Verifier({ size, sha256 })
  await Promise.all(seeders.map(s => helia.libp2p.dial(multiaddr(s.addrs[0]))))
  for await (const chunk of unixfs(helia).cat(CID.parse(seeders[0].cid))) {
    verifier.update(chunk)
  }
  report(verifier.finish())
  await helia.stop()
}

main(async () => {
  const t = task()
  await (t.role === 'seed' ? seed(t) : fetch(t))
})
