/** A weft node's public interface: what `createNode` returns and what it reports. */

import type { JoinedOptions } from './joining.js'
import type { NodeServices } from './common-options.js'
import type { TransportName } from './transport-of.js'
import type { Role, WeftConfig } from '../config/config.js'
import type { ContentSource } from '../content/source.js'
import type { AuditStats } from '../placement/auditor.js'
import type { Capability } from '../content/capability.js'
import type { RepairStats } from '../placement/replicator.js'
import type { AuditAnswerStats } from '../protocols/audit-protocol.js'
import type { GuardStats } from '../services/store-guard.js'
import type { Content, GetOptions, OpenOptions, PutOptions, PutResult, ServingStats, StatResult, VerifyResult } from '../services/storage-types.js'
import type { GcOptions, IntegrityStats, RemovedDag, StorageStats } from '../store/local-blocks.js'
import type { ListOptions, StoreListing } from '../store/store-listing.js'
import type { AbortOptions, Connection, Libp2pEvents, PeerId, PeerInfo } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Libp2p } from 'libp2p'
import type { CID } from 'multiformats/cid'

/**
 * `put` options of a node: the storage service's, and encryption. `encrypt:
 * true` encrypts with a fresh random key (docs/encryption.md); an object
 * also names the file (encrypted with it) or asks for convergent encryption.
 */
export interface NodePutOptions extends PutOptions {
  encrypt?: boolean | {
    /** File name kept in the encrypted header (default a File's name). */
    name?: string
    /** Media type kept in the encrypted header (default a Blob's type). */
    type?: string
    /** Opt-in convergent encryption with this per-user secret: same file, same CID (see docs/encryption.md for what it gives away). */
    convergenceSecret?: Uint8Array
  }
}

/**
 * What names content to read: a CID (or its string), or a capability (the
 * string `weft:<cid>#k=<key>`, a link with `#/<cid>/<name>?k=<key>`, or the
 * parsed `Capability`), which decrypts.
 */
export type ContentRef = CID | string | Capability

/** A snapshot of what a node is doing, for `weft status` and the page. */
export interface NodeStatus {
  peerId: string
  role: Role
  multiaddrs: string[]
  /** Open connections counted by transport. */
  connections: Partial<Record<TransportName, number>>
  /** PeerIds of the peers this node has a connection to. */
  connectedPeers: string[]
  /** Peers in the DHT routing table. */
  routingTableSize: number
  /**
   * Block storage: bytes used of the quota, blocks, pins; on servers, what
   * replica maintenance did; what the store found damaged on its disk and
   * dropped since start (`integrity`, absent for stores that do not check);
   * what its per-peer limits and responsibility refused (`guard`).
   */
  storage: StorageStats & { repair?: RepairStats, audit?: AuditStats & { answered: AuditAnswerStats }, integrity?: IntegrityStats, serving?: ServingStats, guard?: GuardStats }
  /** The configured bootstrap peers, each with whether this node has a connection to it now. */
  bootstrap?: Array<{ multiaddr: string, connected: boolean }>
}

/**
 * A running weft node: libp2p with the weft services, over the node's
 * persistent stores. Made by `createNode`. A CID may be given as a string
 * anywhere here: it is parsed once, and a malformed one throws
 * InvalidCIDError before any waiting on the network.
 */
export interface WeftNode {
  /** The settings the node runs with, every layer resolved. */
  readonly config: WeftConfig
  /** The underlying libp2p node, for anything weft does not wrap. */
  readonly libp2p: Libp2p<NodeServices>
  readonly peerId: PeerId
  readonly role: Role

  /**
   * Stores a file: chunks it into blocks and pushes each to the servers
   * XOR-closest to it. Resolves with the root CID once every block has
   * `storage.writeQuorum` replicas; rejects with QuorumNotReachedError
   * naming the blocks short of it. Takes bytes, a Blob/File, a web
   * ReadableStream, a Node stream or any (async) iterable of bytes, streamed.
   * With `encrypt`, the bytes are encrypted before they leave this node and
   * the result's `capability` reads them back.
   */
  put: (source: ContentSource, options?: NodePutOptions) => Promise<PutResult>

  /**
   * The bytes of a file, in order, as they arrive: from the local store or
   * any peer holding its blocks, each verified. `offset`/`length` read a range.
   * A capability decrypts (only the records the range touches): a wrong key,
   * changed or truncated ciphertext fail with DecryptionError/TruncatedError.
   */
  get: (cid: ContentRef, options?: GetOptions) => AsyncGenerator<Uint8Array>

  /**
   * A file to stat and read with one fetch session, so its root block comes
   * from the network once (`weft get` asks its size, then its bytes).
   */
  open: (cid: ContentRef, options?: OpenOptions) => Content

  /** Size and type of a file, and whether it is held and pinned here. */
  stat: (cid: ContentRef, options?: AbortOptions) => Promise<StatResult>

  /** Keeps a whole file here (fetching what is missing) until unpinned; an encrypted file's capability pins its ciphertext (no key needed). */
  pin: (cid: ContentRef, options?: AbortOptions) => Promise<void>

  /** Removes the file's pin; its blocks stay until garbage collection needs their space. */
  unpin: (cid: ContentRef, options?: AbortOptions) => Promise<void>
  /** What this node's store holds, by file where it holds the root (`weft ls`); see `StoreListing`. */
  list: (options?: ListOptions) => Promise<StoreListing>
  /**
   * `weft rm`: unpins the file here, releases the replicas of it this node
   * holds and deletes its blocks no other pin reaches. Only here: the
   * network's other servers keep their copies (docs/storage.md, "Removing").
   */
  remove: (cid: CID | string, options?: AbortOptions) => Promise<RemovedDag>
  /** Frees what nobody keeps: leases of unfinished puts that ran out (all of them with `unfinished`), then cache blocks; resolves with the bytes freed. */
  gc: (options?: GcOptions) => Promise<number>

  /**
   * How safe a file is: walks its DAG and asks each block's closest servers
   * (`/weft/have/1.0.0`) whether they keep it. `ok` when every block has
   * `storage.writeQuorum` holders; `blocks` gives each one's count and
   * servers ("safe: every block on 5 servers" is `minHolders` 5).
   */
  verify: (cid: CID | string, options?: AbortOptions) => Promise<VerifyResult>

  /**
   * Resolves once this node has joined the network: by default once kad-dht's
   * first lookup of the node's own id has finished and the routing table
   * holds every DHT server the node is connected to (a lookup that starts
   * from a thinner table finds fewer of a key's closest servers). Rejects
   * with JoinTimeoutError after `timeoutMs`.
   */
  joined: (options?: JoinedOptions) => Promise<void>

  /** The addresses other peers can reach this node on, each ending in `/p2p/<id>`. */
  getMultiaddrs: () => Multiaddr[]

  /** Open connections, to one peer or to all. */
  getConnections: (peer?: PeerId) => Connection[]

  /** Connects to a peer by multiaddr or (if its addresses are known) by PeerId. */
  dial: (peer: PeerId | Multiaddr | Multiaddr[], options?: AbortOptions) => Promise<Connection>

  /** Looks a peer's addresses up in the DHT. */
  findPeer: (peer: PeerId, options?: AbortOptions) => Promise<PeerInfo>

  /** The DHT server peers whose ids are XOR-closest to `key`, closest first. */
  getClosestPeers: (key: Uint8Array, options?: AbortOptions) => Promise<PeerInfo[]>

  /** What the node is doing now: addresses, connections by transport, routing table, storage. */
  status: () => NodeStatus

  /**
   * Every metric in the Prometheus text format (libp2p's and weft's `weft_*`
   * series), or undefined for a node made without metrics: only a server
   * with `http.enabled` and `http.metrics` has them (what `GET /metrics` serves).
   */
  metrics: () => Promise<{ contentType: string, text: string } | undefined>

  addEventListener: <K extends keyof Libp2pEvents>(type: K, listener: (evt: Libp2pEvents[K]) => void) => void
  removeEventListener: <K extends keyof Libp2pEvents>(type: K, listener: (evt: Libp2pEvents[K]) => void) => void

  /** Stops libp2p and closes the stores. The node cannot be started again: make a new one. */
  stop: () => Promise<void>
}
