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
export type { WeftNode, NodeStatus } from './node/node-types.js'
export type { JoinedOptions } from './node/joining.js'
export { transportOf, type TransportName } from './node/transport-of.js'
export { resolveConfig } from './config/resolve.js'
export { defaultsFor } from './config/defaults.js'
export type { Role, WeftConfig, WeftConfigInit } from './config/config.js'
export type { NodeServices } from './node/common-options.js'
export { ConfigError, UsageError, StorageOpenError, type ConfigSource } from './errors.js'
export { weftStorage, type WeftStorage, type Content, BLOCK_PROTOCOL, STORE_PROTOCOL, HAVE_PROTOCOL, requestHave, type Holding, type RepairStats, AUDIT_PROTOCOL, requestAudit, auditProof, type AuditReply, type AuditAnswerStats, type AuditStats, type AuditFailure, type AuditFailureReason, type ServingStats, type GuardStats, type WeftStorageInit, type WeftStorageComponents, type PutResult, type PutOptions, type GetOptions, type StatResult, type VerifyResult, type BlockVerdict, type PutProgressEvents, type GetProgressEvents } from './services/index.js'
export { BlockStore, type BlockStoreInit } from './store/block-store.js'
export type { LocalBlocks, BlockRole, StorageStats, IntegrityStats, GcOptions, RemovedDag } from './store/local-blocks.js'
export type { StoreListing, ListedFile, BlockCounts, ListedRole, ListOptions } from './store/store-listing.js'
export type { ContentSource, FileContent } from './content/source.js'
export { DirectorySource, type DirectoryEntry } from './content/directory-source.js'
export type { CreateNodeOptions } from './node/create-node.js'
export { parseCidString } from './protocols/cid-parsing.js'
export type { FilePart } from './content/layout.js'
export { InvalidCIDError, JoinTimeoutError, QuotaExceededError, BlockTooLargeError, HashMismatchError, BlockNotFoundError, QuorumNotReachedError, type ShortBlockReport, ProtocolError, NotAFileError, BlockWriteError, AuditDeadlineError } from './errors.js'
export { readContent, DEFAULT_READ_WINDOW, type ReadOptions, type ContentStat } from './content/read.js'
export { windowed } from './fetch/read-window.js'
export type { BlockSource } from './fetch/block-source.js'
export type { DagBlocks } from './services/storage-types.js'
export type { NodePutOptions, ContentRef } from './node/node-types.js'
export { parseCapability, formatCapability, formatShareLink, capabilityHash, type Capability } from './content/capability.js'
export { encryptContent, DecryptedFile, DecryptionError, TruncatedError, MissingKeyError, InvalidCapabilityError, NotEncryptedError, MetadataTooLargeError, type DecryptionFailure } from './content/encryption/index.js'
