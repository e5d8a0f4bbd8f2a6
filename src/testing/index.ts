/**
 * @packageDocumentation
 *
 * Helpers for tests and benchmarks: a whole weft network in one call (in one
 * process with `createTestNetwork`, or as real servers over several processes
 * with `startTestnet`), and what a perfect DHT lookup would answer in it.
 *
 * @example
 * ```ts
 * import { createTestNetwork, knownPeers, trueClosest, tracedLookup } from './testing/index.js'
 *
 * const network = await createTestNetwork(50)
 * const all = await knownPeers(network.nodes.map(n => n.peerId))
 * const lookup = await tracedLookup(network.nodes[0], key)
 * const truth = await trueClosest(key, all.filter(p => !p.id.equals(network.nodes[0].peerId)), 5)
 * await network.stop()
 * ```
 */
export { createTestNetwork, type TestNetwork, type TestNetworkOptions, type TestTransport } from './network.js'
export { startTestnet, type AddServersOptions, type Testnet, type TestnetOptions, type TestnetServer, type TestnetProcessInfo } from './testnet.js'
export { TestnetError } from './testnet-protocol.js'
export { compareDistance, kadId, knownPeers, peerKadId, trueClosest, type KnownPeer } from './closest.js'
export { tracedLookup, type TracedLookup } from './lookup.js'
export { seededBlock, type SeededBlocks } from './seeded-blocks.js'
