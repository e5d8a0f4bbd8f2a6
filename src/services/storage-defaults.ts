/**
 * The storage service's defaults, named once. `config/server.json` and
 * `config/browser.json` hold the same values for nodes made by `createNode`
 * (a spec checks they agree); these apply to `weftStorage()` added to any
 * libp2p node without them.
 */
export { DEFAULT_CHUNK_SIZE } from '../content/dag-shape.js'
export { DEFAULT_READ_WINDOW } from '../content/read.js'

/** Servers each block is stored at. */
export const DEFAULT_REPLICATION = 5

/** Servers that must keep every block before a put succeeds. */
export const DEFAULT_WRITE_QUORUM = 3

/** How long finding one block may take. */
export const DEFAULT_FETCH_TIMEOUT_MS = 30_000

/** Between periodic replica maintenance sweeps on a server: 10 minutes. */
export const DEFAULT_REPAIR_INTERVAL_MS = 600_000

/** Block bytes replica maintenance pushes per second at most: 16 MiB/s (128 Mbit/s). */
export const DEFAULT_REPAIR_BYTES_PER_SECOND = 16_777_216

/** Storage audits a server starts per hour: one a minute. */
export const DEFAULT_AUDITS_PER_HOUR = 60

/** Time a holder has to answer an audit beyond one round trip (docs/protocols.md, "Storage audits"). */
export const DEFAULT_AUDIT_DEADLINE_MS = 250

/** Block bytes a server hashes per hour answering audits, all peers together (one peer: an eighth): 1 GiB. */
export const DEFAULT_AUDIT_BYTES_PER_HOUR = 1_073_741_824

/** Quota of the in-memory block store used when none is given: 1 GiB. */
export const DEFAULT_MEMORY_BYTES = 1_073_741_824

/** Servers past `replication` a server still counts itself among a block's replica set (see `Responsibility`). */
export const DEFAULT_RESPONSIBILITY_SLACK = 3

/** Block bytes one peer may store on a server per hour: 2 GiB. */
export const DEFAULT_PEER_STORE_BYTES_PER_HOUR = 2_147_483_648

/** Block bytes one peer may store on a server in all (since it started): 4 GiB, 40 % of the default quota. */
export const DEFAULT_PEER_STORE_BYTES = 4_294_967_296

/** Streams one peer may hold open at once per weft protocol, over all its connections. */
export const DEFAULT_PEER_STREAMS = 128

/** Block bytes served to one peer per second: 128 MiB/s (about a gigabit); more waits its turn. Above what one fetcher reached on loopback (85 MiB/s), so only a faster peer is paced. */
export const DEFAULT_PEER_SERVE_BYTES_PER_SECOND = 134_217_728

/** weft's kad-dht protocol. */
export const DEFAULT_DHT_PROTOCOL = '/weft/kad/1.0.0'
