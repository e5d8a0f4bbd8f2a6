import { loadOrCreateSelfKey } from '@libp2p/config'
import { createLibp2p } from 'libp2p'
import { resolveConfig } from '../config/resolve.js'
import { openDatastore } from '../store/datastore.js'
import { defaultRole, libp2pOptions } from './libp2p-options.js'
import { WeftNode } from './weft-node.js'
import type { WeftConfigInit } from '../config/config.js'

/**
 * Creates and starts a weft node. In Node.js it is a `server` unless
 * `role` says otherwise; in a page it is a `browser`.
 *
 * The node's key, peer store and DHT records live in `dataDir` (LevelDB in
 * Node.js, IndexedDB in a page), so a node restarted on the same data keeps
 * its PeerId.
 *
 * @example
 * ```ts
 * import { createNode } from 'weft'
 *
 * const node = await createNode({ dataDir: './.weft', listen: ['/ip4/127.0.0.1/tcp/4001'] })
 * console.info(node.peerId.toString(), node.getMultiaddrs())
 * await node.stop()
 * ```
 */
export async function createNode (init: WeftConfigInit = {}): Promise<WeftNode> {
  const config = resolveConfig(init, defaultRole)
  const datastore = await openDatastore(config.dataDir)
  try {
    const privateKey = await loadOrCreateSelfKey(datastore)
    const libp2p = await createLibp2p(libp2pOptions({ config, privateKey, datastore }))
    return new WeftNode(config, libp2p, datastore)
  } catch (err) {
    await datastore.close()
    throw err
  }
}
