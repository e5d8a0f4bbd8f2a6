/** The storage service's public interface: what it is made with, what its operations take and report. */

import type { GuardStats } from './store-guard.js'
import type { PeerLimitSettings } from '../protocols/peer-limits.js'
import type { ContentStat } from '../content/read.js'
import type { FilePart } from '../content/layout.js'
import type { ShortBlockReport } from '../errors.js'
import type { ContentSource } from '../content/source.js'
import type { BlockSource } from '../fetch/block-source.js'
import type { FetchCounters, FetchProgressEvents } from '../fetch/fetch-session.js'
import type { AuditStats } from '../placement/auditor.js'
import type { RepairStats } from '../placement/replicator.js'
import type { AuditAnswerStats } from '../protocols/audit-protocol.js'
import type { LocalBlocks } from '../store/local-blocks.js'
import type { AbortOptions, ComponentLogger, ContentRouting, Libp2pEvents, PeerId, PeerRouting, PeerStore, TypedEventTarget } from '@libp2p/interface'
import type { AddressManager, ConnectionManager, Registrar } from '@libp2p/interface-internal'
import type { CID } from 'multiformats/cid'
import type { CustomProgressEvent, ProgressOptions } from 'progress-events'

/** What `put` reports. */
export interface PutResult {
  cid: CID
  /** File size in bytes. */
  size: number
  /** Replicas of the least-replicated block: every block has at least this many (servers that confirmed keeping it). */
  replicas: number
  /** The replicas every block had to reach: `storage.writeQuorum`, or `minReplicas` when given. */
  writeQuorum: number
  /** Blocks by the replicas they reached: `{ 3: 15, 2: 2 }` is 15 blocks on 3 servers and 2 on 2. */
  blocksByReplicas: Record<number, number>
  /**
   * Blocks that reached fewer replicas than the servers found could give, or
   * reached them only past refusals and failures (a full server, one that
   * timed out): each with the replicas it got and every `<peer>: <reason>`.
   */
  short: ShortBlockReport[]
  /**
   * Pushes to further members of replica sets that servers were still making
   * when they answered: the replicas that will follow `replicas` (summed over
   * blocks). Servers finish them, and repair any that fail.
   */
  pending: number
  /** Blocks in the file's DAG. */
  blocks: number
  /**
   * Blocks not sent at all: their replica sets kept them already (the same
   * file put before, or a put cut short and run again).
   */
  alreadyStored: number
  /** Block bytes this node sent: about the file's size when servers forward, `replication` times it when they do not. */
  bytesSent: number
  /** Whether this node kept a pinned copy (not when its own quota is too small). */
  pinned: boolean
  /** For an encrypted put (`WeftNode.put` with `encrypt`): `weft:<cid>#k=<key>`, what reads it back. `cid` and `size` are the ciphertext's. */
  capability?: string
}

/** What `verify` found of one block. */
export interface BlockVerdict {
  cid: CID
  /** Servers that answered that they keep it (a replica or a pin). */
  holders: number
  /** Their PeerIds, closest to the block first. */
  servers: string[]
  /** Servers asked: the block's closest. */
  asked: number
  /** `<peer>: <reason>` for each server that could not be asked or did not answer in time. */
  failed: string[]
}

/** What `verify` reports of a file: every block of its DAG and its holders. */
export interface VerifyResult {
  cid: CID
  /** The holders every block should have: `storage.writeQuorum`. */
  writeQuorum: number
  /** Every block of the DAG (root, inner nodes, leaves), in file order, each once. */
  blocks: BlockVerdict[]
  /** Holders of the least-held block. */
  minHolders: number
  /** Blocks with fewer than `writeQuorum` holders. */
  short: number
  /** Whether every block has at least `writeQuorum` holders. */
  ok: boolean
}

export type PutProgressEvents =
  CustomProgressEvent<{ bytes: number }, 'weft:put:read'> |
  CustomProgressEvent<{ cid: CID, replicas: number, pending: number, bytes: number }, 'weft:put:placed'>

export type GetProgressEvents = FetchProgressEvents

export interface PutOptions extends AbortOptions, ProgressOptions<PutProgressEvents> {
  /**
   * `false` keeps the file only here, pinned, and announces this node as its
   * provider: others fetch it from this node while it is online (a browser
   * sharing straight to other pages). Default true: store at the replica set.
   */
  replicate?: boolean
  /**
   * Replicas each block must reach for the put to succeed, in place of
   * `storage.writeQuorum` (1 to `replication`): for storing on fewer servers
   * than the quorum on purpose, a small network. The result says how many
   * each block got.
   */
  minReplicas?: number
}

export interface GetOptions extends AbortOptions, ProgressOptions<GetProgressEvents> {
  /** First byte to read. */
  offset?: number
  /** Bytes to read. */
  length?: number
}

/** How `open` opens a file. */
export interface OpenOptions extends AbortOptions {
  /**
   * Keep the blocks its reads fetch in the local store, so this node serves
   * them too (default: the node's own choice, `cacheFetched`). A page that
   * streams a film or saves a large file to disk passes false: Chromium holds
   * what a page writes to IndexedDB in its own memory for a while (a 512 MiB
   * download grew the browser process by ~600 MiB), and the bytes are on
   * their way to the player or the disk anyway.
   */
  cache?: boolean
}

/** What `stat` tells about content. */
export interface StatResult extends ContentStat {
  /** Whether the root block is stored here. */
  local: boolean
  pinned: boolean
  /** Opened with a key (a capability): `size` is the plaintext's, `name` and `mediaType` come from the encrypted header. */
  encrypted?: boolean
  name?: string
  mediaType?: string
}

/**
 * A file opened by `open`: its `stat` and `read`s share one fetch session,
 * so its root block is fetched from the network once for all of them.
 */
export interface Content {
  readonly cid: CID
  /** Size and type, from the root block. */
  stat: (options?: AbortOptions) => Promise<StatResult>
  /** The bytes, in order, as they arrive; `offset`/`length` read a range. */
  read: (options?: GetOptions) => AsyncGenerator<Uint8Array>
  /**
   * The file's DAG in file order: its nodes, and each leaf's CID with the
   * offset and size of its bytes (fetching only the nodes): what a resumed
   * download checks the bytes it has against.
   */
  parts: (options?: AbortOptions) => AsyncGenerator<FilePart>
  /** Blocks this content's session has fetched from peers so far (root, inner nodes, leaves). */
  readonly blocksFetched: number
}

export interface WeftStorageInit {
  /**
   * The local block store. Default: one in memory, holding up to `maxBytes`
   * (for a durable one pass `await BlockStore.open({ bytes, datastore, maxBytes })`).
   */
  blocks?: LocalBlocks
  /** Quota of the default in-memory store (default 1 GiB). */
  maxBytes?: number
  /** Leaf size for new files (default 1 MiB). */
  chunkSize?: number
  /** Replicas per block (default 5). */
  replication?: number
  /** Acknowledgements each block needs for `put` to succeed (default 3). */
  writeQuorum?: number
  /** How long finding one block may take (default 30 s). */
  fetchTimeoutMs?: number
  /**
   * Take replicas pushed by others over the store protocol. Servers do;
   * browsers and other transient nodes should not (default true). A node
   * counts itself among a block's replica holders only while its DHT runs in
   * server mode (others find replica holders through the DHT: a DHT client
   * holding a copy is a cache, not a replica).
   */
  holdReplicas?: boolean
  /** The kad-dht protocol, to tell whether this node is a DHT server (default `/weft/kad/1.0.0`). */
  dhtProtocol?: string
  /**
   * Announce a provider record for a file this node holds whole but not as a
   * replica (its own uploads and finished reads), so others can fetch from it
   * (default: `!holdReplicas`).
   */
  provide?: boolean
  /** Keep fetched blocks so this node serves them too (default true). */
  cacheFetched?: boolean
  /**
   * With `holdReplicas`: sweep the blocks this node keeps this often (and
   * soon after servers join or leave), restoring each block's replica set
   * (see docs/storage.md, "Replica maintenance"). 0 turns it off. Default
   * 10 minutes.
   */
  repairIntervalMs?: number
  /** Block bytes replica maintenance may push per second, 0 for no limit (default 16 MiB/s). */
  repairBytesPerSecond?: number
  /**
   * With `holdReplicas`: storage audits this node starts per hour, each
   * challenging one other holder of one block it keeps (see
   * docs/protocols.md, "Storage audits"). 0 turns them off. Default 60.
   */
  auditsPerHour?: number
  /** Time a holder has to answer an audit beyond one round trip (default 250 ms). */
  auditDeadlineMs?: number
  /** Block bytes hashed per hour answering others' audits, all peers together, one peer an eighth; 0 for no limit (default 1 GiB). */
  auditBytesPerHour?: number
  /**
   * With `holdReplicas`: a pushed block is kept only when this server sees
   * itself among the block's `replication + responsibilitySlack` closest
   * servers it knows; otherwise it is refused NOT_RESPONSIBLE (default 3).
   */
  responsibilitySlack?: number
  /** What one peer may take from this node; each 0 for no limit (defaults in storage-defaults.ts). */
  peerLimits?: Partial<PeerLimitSettings>
  /** With `holdReplicas`: when not empty, the only PeerIds (as strings) whose pushed blocks are kept. */
  allowPeers?: string[]
}

export interface WeftStorageComponents {
  peerId: PeerId
  peerStore: PeerStore
  addressManager: AddressManager
  events: TypedEventTarget<Libp2pEvents>
  registrar: Registrar
  connectionManager: ConnectionManager
  peerRouting: PeerRouting
  contentRouting: ContentRouting
  logger: ComponentLogger
}

/**
 * The weft storage service: content-addressed files stored at the servers
 * XOR-closest to each block, fetched from any holder. `weftStorage(init)`
 * adds it to the `services` of any libp2p node that runs kad-dht; a
 * `createNode` node reaches it as `node.libp2p.services.storage`.
 */
export interface WeftStorage {
  /** The local block store (available once the node started). */
  readonly blocks: LocalBlocks

  /**
   * Chunks content into blocks and stores each at its replica set. Resolves
   * once every block has `writeQuorum` replicas; otherwise rejects with
   * QuorumNotReachedError listing the blocks short of it, after trying every
   * block, so one bad block never hides how the rest went.
   */
  put: (source: ContentSource, options?: PutOptions) => Promise<PutResult>

  /**
   * A file to stat and read: its stat and reads share one fetch session, so
   * the root block is fetched once for all of them. `options.signal` ends
   * the session.
   */
  open: (cid: CID, options?: OpenOptions) => Content

  /**
   * The bytes of a file, in order, streamed: blocks are fetched (local store
   * first, then any holder, many at once) only a window ahead of the reader.
   */
  get: (cid: CID, options?: GetOptions) => AsyncGenerator<Uint8Array>

  /** Size and type of content, from its root block (fetched if needed). */
  stat: (cid: CID, options?: AbortOptions) => Promise<StatResult>

  /** Fetches every block of a file that is not here yet, then pins it. */
  pin: (cid: CID, options?: AbortOptions) => Promise<void>

  /** Removes the file's pin; its blocks stay until garbage collection needs their space. */
  unpin: (cid: CID, options?: AbortOptions) => Promise<void>

  /**
   * Walks the file's DAG (fetching only its root and inner nodes) and asks
   * each block's closest servers whether they keep it: how many hold every
   * block, asked and not assumed.
   */
  verify: (cid: CID, options?: AbortOptions) => Promise<VerifyResult>

  /**
   * What replica maintenance has done since start: undefined where it does
   * not run (pages, transient nodes, `repairIntervalMs: 0`).
   */
  repairStats: () => RepairStats | undefined

  /**
   * What storage audits found since start, and what this node answered to
   * others' audits: undefined where it holds no replicas.
   */
  auditStats: () => (AuditStats & { answered: AuditAnswerStats }) | undefined

  /** What this node served peers since start: blocks and bytes sent to those asking, and stored for those pushing. */
  servingStats: () => ServingStats

  /**
   * The blocks of one DAG, block by block: from the local store or any peer
   * holding them, each verified, through one fetch session (the root's
   * providers are asked for the whole DAG). For readers that walk a DAG
   * themselves, such as the HTTP gateway; `counters` tells how many blocks
   * and bytes came from the network. `options.signal` ends the session.
   */
  blocksOf: (root: CID, options?: AbortOptions) => DagBlocks

  /**
   * What the per-peer limits and the responsibility check refused since
   * start, by reason; undefined before the node started.
   */
  guardStats: () => GuardStats | undefined
}

/** What a node served its peers since start (`weft_*` metrics and the status read these). */
export interface ServingStats {
  /** Blocks sent to peers that asked (`/weft/block/1.0.0`), and their bytes. */
  blocksServed: number
  bytesServed: number
  /** Blocks peers pushed (`/weft/store/1.0.0`) that were verified and stored, and their bytes. */
  blocksStored: number
  bytesStored: number
  /** Peers sent a block in the last `SERVED_PEERS_WINDOW_MS` (a minute): whom this node serves now. */
  peersServing: number
}

/** What `blocksOf` returns: a block source and what it fetched. */
export interface DagBlocks extends BlockSource {
  readonly counters: Readonly<FetchCounters>
}
