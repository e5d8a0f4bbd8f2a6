// The messages between `startTestnet` (the parent) and its worker processes
// (testnet-worker.ts), sent over the child_process IPC channel as JSON. Every
// request carries an id; the worker answers each with a reply of the same id.
import type { WeftConfigInit } from '../config/config.js'
import type { NodeStatus } from '../node/node-types.js'
import type { BlockRole } from '../store/local-blocks.js'
import type { SeededBlocks } from './seeded-blocks.js'

/** What the worker needs to know once, before it starts any node. */
export interface WorkerInit {
  /** The address every node listens on (TCP, an ephemeral port). */
  host: string
  /** Config layered over the server defaults of every node. */
  config: WeftConfigInit
  /** Keep every node's stores in memory instead of a data directory. */
  inMemory: boolean
  /**
   * A directory the worker removes when it loses its parent (the parent
   * died without `stop()`): the testnet's temporary root.
   */
  removeOnOrphan?: string
}

/** One node to start. */
export interface StartNode {
  /** Its number in the testnet, which also names its data directory. */
  index: number
  /** Its data directory (unused in memory). */
  dataDir: string
  /** Multiaddrs with `/p2p/<id>` it joins through; none for the first node. */
  bootstrap: string[]
  /** Remove `dataDir` when the node stops (a temporary one). */
  removeDataDir: boolean
}

/** A node the worker runs, as the parent sees it. */
export interface StartedNode {
  index: number
  peerId: string
  multiaddrs: string[]
}

/** Requests the parent sends, and what each one's reply carries. */
export type WorkerRequest =
  | { id: number, type: 'init', init: WorkerInit }
  /** Starts a node; replies once it listens. */
  | { id: number, type: 'start', node: StartNode }
  /** Replies once kad-dht's first self-lookup on the node has finished (its join). */
  | { id: number, type: 'joined', peerId: string }
  /**
   * Replies once the node's routing table holds `count` peers, dialling the
   * closest of `peers` (every server of the testnet) it is not connected to
   * while it holds fewer.
   */
  | { id: number, type: 'settle', peerId: string, count: number, peers: StartedNode[], timeoutMs: number }
  | { id: number, type: 'status', peerId: string }
  /** Stores seeded blocks on the node as replicas, as if placement had put them there. */
  | { id: number, type: 'seed', peerId: string, blocks: SeededBlocks }
  /** The node's role for each CID (string form): what it keeps of them. */
  | { id: number, type: 'roles', peerId: string, cids: string[] }
  /** Stops the node gracefully (and removes its data directory if temporary). */
  | { id: number, type: 'stop', peerId: string }
  /** Stops every node; the worker exits after replying. */
  | { id: number, type: 'shutdown' }

/** What each request type's reply value is. */
export interface ReplyValues {
  init: null
  start: StartedNode
  joined: { routingTableSize: number }
  settle: { routingTableSize: number }
  status: NodeStatus
  seed: null
  roles: Array<BlockRole | null>
  stop: null
  shutdown: null
}

/** A worker's answer to one request. */
export type WorkerReply =
  | { id: number, ok: true, value: unknown }
  | { id: number, ok: false, error: { name: string, message: string, value?: unknown } }

/** A request without its id, as the parent's caller writes it. */
export type RequestBody = WorkerRequest extends infer R ? R extends { id: number } ? Omit<R, 'id'> : never : never

/**
 * A testnet could not do what was asked: a node did not join or settle in
 * time, a worker process died or refused a request, an option is out of
 * range. `value` is the offending thing: a PeerId, a process index, an option.
 */
export class TestnetError extends Error {
  static override readonly name = 'TestnetError'
  override readonly name = 'TestnetError'
  readonly value: unknown

  constructor (message: string, value: unknown, options?: ErrorOptions) {
    super(message, options)
    this.value = value
  }
}
