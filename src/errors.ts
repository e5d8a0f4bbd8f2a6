/**
 * Errors thrown by weft. Each has a fixed `name` so callers can branch on
 * `err.name` (the js-libp2p convention), and carries the offending value.
 */

/** Where a configuration value came from, so an error can point at it. */
export type ConfigSource = 'defaults' | 'options' | `file ${string}` | `env ${string}` | `flag ${string}`

/**
 * A setting is unknown, has the wrong type, or an invalid value. `key` is the
 * dotted path of the setting (`relay.maxReservations`), `value` what was given.
 */
export class ConfigError extends Error {
  static override readonly name = 'ConfigError'
  override readonly name = 'ConfigError'
  readonly key: string
  readonly value: unknown
  readonly source: ConfigSource | undefined

  constructor (message: string, key: string, value: unknown, source?: ConfigSource) {
    super(source == null ? message : `${message} (from ${source})`)
    this.key = key
    this.value = value
    this.source = source
  }
}

/** A command line could not be understood: unknown command or flag, missing argument. */
export class UsageError extends Error {
  static override readonly name = 'UsageError'
  override readonly name = 'UsageError'
  readonly value: string | undefined

  constructor (message: string, value?: string) {
    super(message)
    this.value = value
  }
}

/** The node's data directory or database could not be opened (locked by another process, unreadable). */
export class StorageOpenError extends Error {
  static override readonly name = 'StorageOpenError'
  override readonly name = 'StorageOpenError'
  readonly location: string

  constructor (message: string, location: string, options?: ErrorOptions) {
    super(message, options)
    this.location = location
  }
}

/** A string is not a CID weft can use (malformed, or not CIDv1/CIDv0 with sha2-256). */
export class InvalidCIDError extends Error {
  static override readonly name = 'InvalidCIDError'
  override readonly name = 'InvalidCIDError'
  readonly value: string

  constructor (message: string, value: string, options?: ErrorOptions) {
    super(message, options)
    this.value = value
  }
}

/** Storing a block would take the store past `storage.maxBytes` even after collecting garbage. */
export class QuotaExceededError extends Error {
  static override readonly name = 'QuotaExceededError'
  override readonly name = 'QuotaExceededError'
  readonly cid: string
  readonly size: number
  readonly usedBytes: number
  readonly maxBytes: number

  constructor (cid: string, size: number, usedBytes: number, maxBytes: number) {
    super(`storing block ${cid} (${size} bytes) would exceed the quota: ${usedBytes} of ${maxBytes} bytes used`)
    this.cid = cid
    this.size = size
    this.usedBytes = usedBytes
    this.maxBytes = maxBytes
  }
}

/** A block is larger than weft accepts (`MAX_BLOCK_BYTES`). */
export class BlockTooLargeError extends Error {
  static override readonly name = 'BlockTooLargeError'
  override readonly name = 'BlockTooLargeError'
  readonly cid: string
  readonly size: number
  readonly maxBytes: number

  constructor (cid: string, size: number, maxBytes: number) {
    super(`block ${cid} is ${size} bytes, more than the ${maxBytes} allowed`)
    this.cid = cid
    this.size = size
    this.maxBytes = maxBytes
  }
}

/** Bytes do not hash to the CID they were given as. `peer` names who sent them, when remote. */
export class HashMismatchError extends Error {
  static override readonly name = 'HashMismatchError'
  override readonly name = 'HashMismatchError'
  readonly cid: string
  readonly peer: string | undefined

  constructor (cid: string, peer?: string) {
    super(peer == null ? `bytes do not match block ${cid}` : `peer ${peer} sent bytes that do not match block ${cid}`)
    this.cid = cid
    this.peer = peer
  }
}

/** No reachable peer has a block, or it could not be fetched in time. */
export class BlockNotFoundError extends Error {
  static override readonly name = 'BlockNotFoundError'
  override readonly name = 'BlockNotFoundError'
  readonly cid: string
  /** How many peers were asked. */
  readonly asked: number

  constructor (cid: string, asked: number, detail?: string) {
    super(`block ${cid} was not found: ${asked} peer(s) asked${detail == null ? '' : `; ${detail}`}`)
    this.cid = cid
    this.asked = asked
  }
}

/** One block a put left short: the replicas it reached and why the other servers asked did not take it. */
export interface ShortBlockReport {
  cid: string
  replicas: number
  /** `<peer>: <reason>` for each server that refused or failed it. */
  refusals: string[]
}

/**
 * A put could not give every block `writeQuorum` replicas. `shortfall` maps
 * block CID → replicas it got; `blocks` tells each one's refusals; `servers`
 * is how many servers the put found, when the network is smaller than the
 * quorum (the message then says so first: "write quorum 5 needs 5 servers,
 * 3 found").
 */
export class QuorumNotReachedError extends Error {
  static override readonly name = 'QuorumNotReachedError'
  override readonly name = 'QuorumNotReachedError'
  readonly quorum: number
  readonly shortfall: Map<string, number>
  readonly servers: number | undefined
  readonly blocks: ShortBlockReport[]

  constructor (quorum: number, shortfall: Map<string, number>, detail?: string, options: { servers?: number, blocks?: ShortBlockReport[] } = {}) {
    const listed = [...shortfall].slice(0, 5).map(([cid, n]) => `${cid}: ${n}`).join(', ')
    const more = shortfall.size > 5 ? ` and ${shortfall.size - 5} more` : ''
    const head = options.servers != null && options.servers < quorum
      ? `write quorum ${quorum} needs ${quorum} servers, ${options.servers} found: ${shortfall.size} block(s) short (${listed}${more})`
      : `write quorum ${quorum} not reached for ${shortfall.size} block(s) (${listed}${more})`
    super(`${head}${detail == null ? '' : `; ${detail}`}`)
    this.quorum = quorum
    this.shortfall = shortfall
    this.servers = options.servers
    this.blocks = options.blocks ?? []
  }
}

/**
 * A remote peer broke a weft protocol: garbage, an oversized message, answers
 * out of order. `transient` marks what may be no fault of the peer's (a reset
 * or early-closed stream, silence): worth another try, not a reason to drop it.
 */
export class ProtocolError extends Error {
  static override readonly name = 'ProtocolError'
  override readonly name = 'ProtocolError'
  readonly peer: string | undefined
  readonly transient: boolean

  constructor (message: string, peer?: string, options?: ErrorOptions & { transient?: boolean }) {
    super(message, options)
    this.peer = peer
    this.transient = options?.transient === true
  }
}

/** A CID names something that is not a file weft can read (a directory, another codec, a broken DAG). */
export class NotAFileError extends Error {
  static override readonly name = 'NotAFileError'
  override readonly name = 'NotAFileError'
  readonly cid: string

  constructor (cid: string, reason: string) {
    super(`${cid} is not a readable file: ${reason}`)
    this.cid = cid
  }
}

/**
 * A block could not be written to the local store (disk full, permissions, a
 * closed database). `code` is the system error code when one is known
 * (`ENOSPC`); the store's accounting is unchanged.
 */
export class BlockWriteError extends Error {
  static override readonly name = 'BlockWriteError'
  override readonly name = 'BlockWriteError'
  readonly cid: string
  readonly code: string | undefined

  constructor (cid: string, code: string | undefined, detail: string, options?: ErrorOptions) {
    super(`cannot store block ${cid}: ${detail}`, options)
    this.cid = cid
    this.code = code
  }
}

/**
 * A node did not join the network in time: its routing table held
 * `routingTableSize` peers where `wanted` were waited for, or kad-dht's first
 * lookup of the node's own id had not finished (`selfLookup` false).
 */
export class JoinTimeoutError extends Error {
  static override readonly name = 'JoinTimeoutError'
  override readonly name = 'JoinTimeoutError'
  readonly routingTableSize: number
  readonly wanted: number
  readonly selfLookup: boolean

  constructor (routingTableSize: number, wanted: number, selfLookup: boolean, timeoutMs: number) {
    const lookup = selfLookup ? '' : ', and its first lookup of its own id had not finished'
    super(`not joined after ${timeoutMs} ms: the routing table holds ${routingTableSize} of the ${wanted} peers waited for${lookup}`)
    this.routingTableSize = routingTableSize
    this.wanted = wanted
    this.selfLookup = selfLookup
  }
}

/**
 * A holder did not answer a storage audit (`/weft/audit/1.0.0`) within its
 * deadline: too slow to have read the block from its own disk, as a holder
 * fetching the bytes from elsewhere on demand would be.
 */
export class AuditDeadlineError extends Error {
  static override readonly name = 'AuditDeadlineError'
  override readonly name = 'AuditDeadlineError'
  readonly cid: string
  readonly peer: string | undefined
  readonly deadlineMs: number

  constructor (cid: string, peer: string | undefined, deadlineMs: number) {
    super(`${peer == null ? 'the remote peer' : `peer ${peer}`} did not answer the audit of ${cid} within ${deadlineMs} ms`)
    this.cid = cid
    this.peer = peer
    this.deadlineMs = deadlineMs
  }
}

/**
 * A server could not listen on an address it was configured with (the port
 * is taken, the address is not this machine's). `address` is the address,
 * `setting` the setting to change (`listen`, `http.port`).
 */
export class ListenError extends Error {
  static override readonly name = 'ListenError'
  override readonly name = 'ListenError'
  readonly address: string
  readonly setting: string

  constructor (message: string, address: string, setting: string, options?: ErrorOptions) {
    super(message, options)
    this.address = address
    this.setting = setting
  }
}

/**
 * A peer went over one of a server's per-peer limits (`limit` names the
 * setting, e.g. `storage.peerStreams`): its stream was refused.
 */
export class PeerLimitError extends Error {
  static override readonly name = 'PeerLimitError'
  override readonly name = 'PeerLimitError'

  constructor (message: string, readonly limit: string, readonly peer: string) {
    super(message)
  }
}
