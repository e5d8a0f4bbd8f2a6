import { generateKeyPair } from '@libp2p/crypto/keys'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { memory } from '@libp2p/memory'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { resolveConfig } from '../config/resolve.js'
import { commonOptions, type DhtQueryShape } from '../node/common-options.js'
import { memoryStores, nodeOver } from '../node/create-node.js'
import { nodeNoiseCrypto } from '../node/noise-crypto.js'
import type { WeftNode } from '../node/node-types.js'
import type { WeftConfigInit } from '../config/config.js'

/** How the nodes of a test network reach each other. */
export type TestTransport = 'memory' | 'tcp'

/** How `createTestNetwork` builds the network. */
export interface TestNetworkOptions {
  /**
   * `memory` (default): in-process connections, no sockets, so hundreds of
   * nodes fit one process. `tcp`: real sockets on 127.0.0.1.
   */
  transport?: TestTransport
  /** How many earlier nodes each new node dials when it joins. Default 3. */
  degree?: number
  /** Config layered over the server defaults of every node. */
  config?: WeftConfigInit
  /** A random source for which nodes each joiner dials; defaults to `Math.random`. */
  random?: () => number
  /** Another kad-dht lookup shape than weft's (DHT_QUERY): for the benchmark's comparisons. */
  dhtQuery?: DhtQueryShape
}

/** A running network of weft server nodes. */
export interface TestNetwork {
  nodes: WeftNode[]
  /** Stops every node. */
  stop: () => Promise<void>
}

/** Each wave of joiners is this fraction of the nodes already there. */
const WAVE_GROWTH = 0.25

/**
 * At most this many nodes join at once. Every DHT request costs several
 * milliseconds of CPU in one process (streams, protobuf, peer store), so
 * bigger waves only queue work until dials and queries time out.
 */
const MAX_WAVE = 10

/** How long a joiner's own self-lookup may take before we run one for it. */
const SELF_LOOKUP_WAIT_MS = 15_000

/**
 * Dials in a network of hundreds of nodes in one process wait behind every
 * other node's work on the same thread: the server default (10 s) would fail
 * joins that are only queued, not lost.
 */
const DIAL_TIMEOUT_MS = 60_000

/** Every memory listener in a process needs a unique name. */
let memoryAddresses = 0

/**
 * Builds a network of `n` weft server nodes, already joined: each node dials
 * a few random earlier nodes, and kad-dht's own start-up lookup of the
 * node's id fills its routing table, as in a real server. Resolves once every
 * node's lookup has finished (awaited, never slept). The nodes use the repo's real libp2p and DHT options
 * (`commonOptions`): only the transport and the stores (in memory) differ.
 *
 * @example
 * ```ts
 * const network = await createTestNetwork(50)
 * try {
 *   const peers = await network.nodes[0].getClosestPeers(key)
 * } finally {
 *   await network.stop()
 * }
 * ```
 */
export async function createTestNetwork (n: number, options: TestNetworkOptions = {}): Promise<TestNetwork> {
  const degree = options.degree ?? 3
  const random = options.random ?? Math.random
  const nodes: WeftNode[] = []
  const network: TestNetwork = {
    nodes,
    stop: async () => { await Promise.all(nodes.map(async node => node.stop())) }
  }
  try {
    // Nodes join in waves of a quarter of the network so far (at most
    // MAX_WAVE): a joiner's own first self-lookup (kad-dht runs it a second
    // after start) then sees a network that already settled, as in a network
    // that grew over time, without waiting a second per node.
    while (nodes.length < n) {
      const wave = Math.min(n - nodes.length, MAX_WAVE, Math.max(1, Math.floor(nodes.length * WAVE_GROWTH)))
      await Promise.all(Array.from({ length: wave }, async () => {
        const node = await testNode(options)
        const targets = pick(nodes, degree, random)
        const index = nodes.push(node) - 1
        await Promise.all(targets.map(async t => node.dial(t.getMultiaddrs()).catch(err => {
          throw new Error(`node ${index} of ${n} could not join: ${String(err)}`, { cause: err })
        })))
        // the first node has nobody to look up yet: its lookup runs once others dial it
        // the lookup only: in a network of hundreds, full buckets refuse some connected peers
        if (targets.length > 0) await node.joined({ peers: 0, selfLookupMs: SELF_LOOKUP_WAIT_MS })
      }))
    }
    return network
  } catch (err) {
    await network.stop()
    throw err
  }
}

async function testNode (options: TestNetworkOptions): Promise<WeftNode> {
  const transport = options.transport ?? 'memory'
  const listen = transport === 'memory' ? [`/memory/weft-test-${process.pid}-${memoryAddresses++}`] : ['/ip4/127.0.0.1/tcp/0']
  const config = resolveConfig({
    connections: { dialTimeoutMs: DIAL_TIMEOUT_MS },
    ...options.config,
    role: 'server',
    listen,
    announce: [],
    bootstrap: [],
    allowPrivateAddresses: true,
    http: { enabled: false }
  }, 'server')
  const stores = await memoryStores(config)
  const { datastore, blocks } = stores
  const privateKey = await generateKeyPair('Ed25519')
  const common = commonOptions({ config, privateKey, datastore, blocks, ...(options.dhtQuery != null ? { dhtQuery: options.dhtQuery } : {}) })
  const libp2p = await createLibp2p({
    ...common,
    // one address's dial (6 s by default) and an inbound connection's
    // handshake (10 s) wait as long as a dial may: a node of a 500-node
    // network over 8 processes failed to join when the three nodes it dialled
    // took longer than that to answer, their processes busy with the others
    connectionManager: { ...common.connectionManager, addressDialTimeout: DIAL_TIMEOUT_MS, inboundUpgradeTimeout: DIAL_TIMEOUT_MS },
    transports: [transport === 'memory' ? memory() : tcp()],
    // The monitor pings every connection every few seconds. Spread over real
    // servers that is noise; with every node in one process it is n times
    // that on one thread, and at a few hundred nodes it alone starves dials.
    connectionMonitor: { enabled: false },
    // yamux pings every connection every 30 s too: with a few hundred nodes
    // on one machine, a few thousand connections, that was ~6 % of a busy
    // process's CPU in the 200-node profile (docs/performance.md). Nothing
    // here needs a connection kept alive through a NAT or found dead.
    streamMuxers: [yamux({ enableKeepAlive: false })],
    // a server's cipher (src/node/libp2p-options.ts), not noise's default:
    // FIND_NODE answers of 20 peers pass noise's 1200-byte threshold
    connectionEncrypters: [noise({ crypto: nodeNoiseCrypto })]
  })
  return nodeOver(config, libp2p, stores)
}

/** Up to `count` distinct random elements of `from`. */
function pick<T> (from: T[], count: number, random: () => number): T[] {
  const copy = [...from]
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[copy[i], copy[j]] = [copy[j], copy[i]]
  }
  return copy.slice(0, count)
}
