import { MemoryBlockstore } from 'blockstore-core/memory'
import { MemoryDatastore } from 'datastore-core/memory'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createLibp2p } from 'libp2p'
import { resolveConfig } from '../config/resolve.js'
import { BlockStore } from '../store/block-store.js'
import { defaultRole, libp2pOptions } from './libp2p-options.js'
import { loadSelfKey } from './self-key.js'
import { DefaultWeftNode, type NodeStores } from './weft-node.js'
import type { NodeServices } from './common-options.js'
import type { NodeMetrics } from './metrics.js'
import type { WeftNode } from './node-types.js'
import type { WeftConfig, WeftConfigInit } from '../config/config.js'
import type { Libp2p } from 'libp2p'

/** How a node is made, beyond its config. */
export interface CreateNodeOptions {
  /**
   * A short-lived node, such as the CLI's `put` and `get` run: in-memory
   * stores and a fresh PeerId, no listening, a DHT client that holds no
   * replicas and keeps nothing it fetches. It leaves no trace and never
   * contends for a running server's data directory.
   */
  transient?: boolean
  /**
   * The caller joins the node before its first lookup (waits, as the CLI's
   * `joinNetwork` does, until a bootstrap peer is in its routing table): its
   * lookups then start at once instead of waiting for kad-dht's first
   * self-lookup, ~60 ms of a 1 KiB CLI get. Without it a lookup waits for a
   * DHT peer, so a node used right after `createNode` still finds the network.
   */
  joinsFirst?: boolean
  /**
   * A full node (a server listens, holds replicas, caches) whose stores live
   * in memory: a fresh PeerId each start and nothing written to `dataDir`.
   * For test networks of many servers, where disk state is not what is tested.
   */
  inMemory?: boolean
}

/**
 * Creates and starts a weft node. In Node.js it is a `server` unless
 * `role` says otherwise; in a page it is a `browser`.
 *
 * The node's key, peer store, DHT records and blocks live in `dataDir`
 * (LevelDB and block files in Node.js, IndexedDB in a page), so a node
 * restarted on the same data keeps its PeerId and what it stored.
 *
 * @example
 * ```ts
 * import { createNode } from 'weft'
 *
 * const node = await createNode({ dataDir: './.weft', listen: ['/ip4/127.0.0.1/tcp/4001'] })
 * const { cid } = await node.put(new TextEncoder().encode('hello'))
 * for await (const bytes of node.get(cid)) process.stdout.write(bytes)
 * await node.stop()
 * ```
 */
export async function createNode (init: WeftConfigInit = {}, options: CreateNodeOptions = {}): Promise<WeftNode> {
  const transient = options.transient === true
  const config = resolveConfig(transient ? { ...init, listen: [], announce: [], http: { ...init.http, enabled: false } } : init, defaultRole)
  const stores = transient || options.inMemory === true ? await memoryStores(config) : await diskStores(config)
  try {
    // a transient node keeps no key: a fresh one, without the keychain's round trip through its datastore
    const privateKey = transient ? await generateKeyPair('Ed25519') : await loadSelfKey(stores.datastore)
    // what a scrape reads is the node's status: the node comes after libp2p.
    // Loaded only for a server that serves them: prom-client costs every
    // short-lived CLI node 0.1-0.4 s of start-up
    let node: WeftNode | undefined
    const metrics = servesMetrics(config) ? (await import('./metrics.js')).createNodeMetrics(() => node?.status()) : undefined
    const libp2p = await createLibp2p({
      ...await libp2pOptions({
        config,
        privateKey,
        datastore: stores.libp2pDatastore ?? stores.datastore,
        blocks: stores.blocks,
        transient,
        joinsFirst: options.joinsFirst === true,
        ...(config.network.psk !== '' ? { preSharedKey: (await import('@libp2p/pnet')).preSharedKey } : {})
      }),
      ...(metrics != null ? { metrics: metrics.libp2p } : {})
    })
    node = nodeOver(config, libp2p, stores, metrics)
    return node
  } catch (err) {
    await stores.close()
    throw err
  }
}

/**
 * The weft node over a libp2p node and stores that are already made: this
 * module's nodes, and the in-process test network's, which bring their own
 * transports (`src/testing/network.ts`). Not part of the package's API.
 */
export function nodeOver (config: WeftConfig, libp2p: Libp2p<NodeServices>, stores: NodeStores, metrics?: NodeMetrics): WeftNode {
  return new DefaultWeftNode(config, libp2p, stores, metrics)
}

/** Metrics are for what `GET /metrics` serves: a server with its HTTP side on and `http.metrics`. */
function servesMetrics (config: WeftConfig): boolean {
  return config.role === 'server' && config.http.enabled && config.http.metrics
}

/**
 * Stores on disk (LevelDB, block files), loaded only by the nodes that keep
 * them: a transient node (the CLI's get) starts without LevelDB's and
 * blockstore-fs's modules.
 */
async function diskStores (config: WeftConfig): Promise<NodeStores> {
  const [{ openDatastore }, { openBlockBytes }, { libp2pDatastore }] = await Promise.all([
    import('../store/datastore.js'),
    import('../store/block-bytes.js'),
    import('../store/peer-records.js')
  ])
  const datastore = await openDatastore(config.dataDir)
  try {
    const bytes = await openBlockBytes(config.dataDir)
    const blocks = await BlockStore.open({ bytes, datastore, maxBytes: config.storage.maxBytes, putLeaseMs: config.storage.putLeaseMs })
    const forLibp2p = await libp2pDatastore(datastore)
    return {
      datastore,
      libp2pDatastore: forLibp2p.datastore,
      blocks,
      close: async () => {
        await forLibp2p.peers.close()
        await blocks.close()
        await bytes.close()
        await datastore.close()
      }
    }
  } catch (err) {
    await datastore.close()
    throw err
  }
}

/** Stores that live in memory (transient and in-memory nodes, the test network). */
export async function memoryStores (config: WeftConfig): Promise<NodeStores> {
  const datastore = new MemoryDatastore()
  const blocks = await BlockStore.open({ bytes: new MemoryBlockstore(), datastore, maxBytes: config.storage.maxBytes, putLeaseMs: config.storage.putLeaseMs })
  return { datastore, blocks, close: async () => { await blocks.close() } }
}
