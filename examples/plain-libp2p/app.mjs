// A plain libp2p app that gains weft storage by adding one service.
//
// Two nodes on loopback: the first puts a text, the second gets it back by
// its CID. Everything but the `storage` entry is what any libp2p app with a
// DHT already has. Run it with `node examples/plain-libp2p/app.mjs`.
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { weftStorage } from 'weft'

const host = process.env.EXAMPLE_HOST ?? '127.0.0.1'

async function startNode (bootstrap) {
  const node = await createLibp2p({
    addresses: { listen: [`/ip4/${host}/tcp/0`] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      ping: ping(),
      // weft's DHT protocol, in server mode; loopback addresses are fine here
      dht: kadDHT({ protocol: '/weft/kad/1.0.0', clientMode: false, peerInfoMapper: passthroughMapper }),
      // the one line this example is about; two nodes can keep two copies
      // of each block, so the put asks for two (weft's default is three)
      storage: weftStorage({ writeQuorum: 2 })
    }
  })
  if (bootstrap != null) {
    // wait until the DHT knows the other node, so the put can find it
    const added = new Promise(resolve => node.services.dht.routingTable.addEventListener('peer:add', resolve, { once: true }))
    await node.dial(bootstrap)
    await added
  }
  return node
}

const alice = await startNode()
const bob = await startNode(alice.getMultiaddrs()[0])

const text = `hello from ${alice.peerId} at ${new Date().toISOString()}`
const { cid, replicas } = await alice.services.storage.put(new TextEncoder().encode(text))
console.log(`put ${cid} (${replicas} replicas)`)

const decoder = new TextDecoder()
let got = ''
for await (const bytes of bob.services.storage.get(cid)) got += decoder.decode(bytes, { stream: true })
console.log(`got ${got}`)

await Promise.all([alice.stop(), bob.stop()])
if (got !== text) {
  console.error('the text came back different')
  process.exit(1)
}
