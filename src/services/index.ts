/**
 * @packageDocumentation
 *
 * weft's storage as a libp2p service: add it to the `services` of any
 * libp2p node that runs kad-dht (with identify and ping), and that node can
 * put files at the XOR-closest servers of the network and get them back from
 * any holder.
 *
 * @example
 * ```ts
 * import { createLibp2p } from 'libp2p'
 * import { kadDHT } from '@libp2p/kad-dht'
 * import { weftStorage } from 'weft'
 *
 * const node = await createLibp2p({
 *   // ...transports, encrypters, muxers
 *   services: {
 *     identify: identify(),
 *     ping: ping(),
 *     dht: kadDHT({ protocol: '/weft/kad/1.0.0', clientMode: false }),
 *     storage: weftStorage()
 *   }
 * })
 * const { cid } = await node.services.storage.put(new TextEncoder().encode('hello'))
 * ```
 */
import { DefaultWeftStorage } from './weft-storage.js'
import type { WeftStorage, WeftStorageComponents, WeftStorageInit } from './storage-types.js'

export type { WeftStorage, WeftStorageInit, WeftStorageComponents, Content, PutResult, PutOptions, GetOptions, StatResult, VerifyResult, BlockVerdict, PutProgressEvents, GetProgressEvents, ServingStats } from './storage-types.js'
export { BLOCK_PROTOCOL } from '../protocols/block-protocol.js'
export { STORE_PROTOCOL } from '../protocols/store-protocol.js'
export { HAVE_PROTOCOL, requestHave, type Holding } from '../protocols/have-protocol.js'
export type { RepairStats } from '../placement/replicator.js'
export type { AuditStats, AuditFailure, AuditFailureReason } from '../placement/auditor.js'
export { AUDIT_PROTOCOL, requestAudit, auditProof, type AuditReply, type AuditAnswerStats } from '../protocols/audit-protocol.js'
export type { GuardStats } from './store-guard.js'

/** The weft storage service, for `createLibp2p({ services: { storage: weftStorage(init) } })`. */
export function weftStorage (init: WeftStorageInit = {}): (components: WeftStorageComponents) => WeftStorage {
  return (components) => new DefaultWeftStorage(components, init)
}
