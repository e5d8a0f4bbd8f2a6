/**
 * @packageDocumentation
 *
 * weft: a hybrid peer-to-peer content network. Browsers and Node.js servers
 * are peers of one libp2p network and share one Kademlia DHT.
 *
 * @example
 * ```ts
 * import { createNode } from 'weft'
 *
 * const node = await createNode({ bootstrap: ['/dns4/example.org/tcp/4001/p2p/12D3Koo...'] })
 * ```
 */
export { createNode } from './node/create-node.js'
export { WeftNode, type NodeStatus } from './node/weft-node.js'
export { transportOf, type TransportName } from './node/transport-of.js'
export { resolveConfig } from './config/resolve.js'
export { defaultsFor } from './config/defaults.js'
export type { Role, WeftConfig, WeftConfigInit } from './config/config.js'
export type { NodeServices } from './node/common-options.js'
export { ConfigError, UsageError, StorageOpenError, type ConfigSource } from './errors.js'
