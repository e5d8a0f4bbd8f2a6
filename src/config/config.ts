/** The role a node plays in the network (see docs/design.md, "Roles"). */
export type Role = 'server' | 'browser'

/**
 * Everything a weft node can be configured with. Defaults per role live in
 * `config/<role>.json`; every key can be overridden by a config file, an
 * environment variable (`WEFT_RELAY_MAX_RESERVATIONS`) and a command-line flag
 * (`--relay.max-reservations`), in that order.
 */
export interface WeftConfig {
  role: Role
  /** Server: the directory holding the node's stores. Browser: the IndexedDB database name. */
  dataDir: string
  /** Multiaddrs to listen on. Browsers listen on `/p2p-circuit` and `/webrtc`. */
  listen: string[]
  /** Multiaddrs to announce instead of the listening ones (public addresses behind NAT). */
  announce: string[]
  /** Multiaddrs, each with a `/p2p/<id>` suffix, dialled at start to join the network. */
  bootstrap: string[]
  /**
   * Whether private and loopback addresses are legitimate peers' addresses
   * (a LAN or a test network). When false the DHT drops them and a browser
   * refuses to dial them and any non-TLS `/ws` address.
   */
  allowPrivateAddresses: boolean
  dht: {
    /** The kad-dht protocol id: our own, so ours is a private DHT, not the IPFS one. */
    protocol: string
  }
  relay: {
    /** How many browsers may hold a circuit-relay reservation on this server at once. */
    maxReservations: number
    /** How long a reservation lasts before the browser must renew it. */
    reservationTtlMs: number
    /**
     * How many of those reservations the clients of one IP range (/24 for
     * IPv4, /48 for IPv6) may hold at once, so PeerIds made by one machine
     * cannot take every slot. 0: no limit.
     */
    maxReservationsPerRange: number
  }
  connections: {
    maxConnections: number
    dialTimeoutMs: number
    /**
     * Connections accepted per second from one IP address. libp2p's default
     * (5) refuses the sixth server on one machine or behind one NAT, and a
     * refused peer never joins: servers take many.
     */
    inboundPerHostPerSecond: number
    /** Incoming connections being set up at once (encryption, muxer). */
    maxIncomingPending: number
  }
  webrtc: {
    /** STUN/TURN urls. Empty by default: nodes must not depend on third-party servers. */
    iceServers: string[]
  }
  http: {
    /** Serve the web page and `/weft/bootstrap.json` (servers only). */
    enabled: boolean
    host: string
    port: number
    /** Serve `GET /metrics` (Prometheus text: the stack's metrics and weft's `weft_*` series). */
    metrics: boolean
    /** Serve the IPFS HTTP gateway under `/ipfs/` (docs/gateway.md). */
    gateway: boolean
    /**
     * How long the gateway waits for a block it asked the network for (with
     * none arriving meanwhile): 504 before the answer started, a cut
     * response after.
     */
    gatewayTimeoutMs: number
    /**
     * Bytes the gateway fetches from the network for one request (0: no
     * limit); what this server holds it serves whatever the size.
     */
    gatewayMaxBytes: number
  }
  storage: {
    /** Quota for stored block bytes; unpinned cached blocks are evicted first when it is reached. */
    maxBytes: number
    /** Bytes per leaf block when files are chunked (at most 1 MiB, the largest block weft accepts). */
    chunkSize: number
    /** How many servers, XOR-closest to a block's key, each block is stored at. */
    replication: number
    /** Acknowledgements every block needs before `put` resolves (capped at the servers available). */
    writeQuorum: number
    /** How long a fetch may look for a block before failing with BlockNotFoundError. */
    fetchTimeoutMs: number
    /**
     * Servers: how often replica maintenance sweeps the blocks this server
     * keeps, restoring replica sets that lost a server (it also sweeps soon
     * after servers join or leave). 0 turns it off; otherwise at least 1000.
     */
    repairIntervalMs: number
    /**
     * Servers: block bytes replica maintenance may push per second, over all
     * its pushes (0: no limit), so restoring replicas after a server left
     * leaves room for gets and puts.
     */
    repairBytesPerSecond: number
    /** Servers: storage audits started per hour (0: none), each of one block at one other holder. */
    auditsPerHour: number
    /** Servers: how long beyond one round trip a holder has to answer an audit. */
    auditDeadlineMs: number
    /** Servers: block bytes hashed per hour answering others' audits, all peers together (0: no limit). */
    auditBytesPerHour: number
    /**
     * Servers: a pushed block is kept only when this server sees itself
     * among the block's `replication + responsibilitySlack` closest servers
     * it knows; otherwise it answers NOT_RESPONSIBLE.
     */
    responsibilitySlack: number
    /** Block bytes one peer (outside a block's replica set) may store here per hour; 0 for no limit. */
    peerStoreBytesPerHour: number
    /** Block bytes one peer may store here in all since start; 0 for no limit. */
    peerStoreBytes: number
    /** Streams one peer may hold open at once per weft protocol, over all its connections; 0 for no limit. */
    peerStreams: number
    /** Block bytes served to one peer per second; more waits its turn. 0 for no limit. */
    peerServeBytesPerSecond: number
    /**
     * Servers: the PeerIds that may store blocks here (uploaders, and the
     * other servers, which forward and repair); empty: anyone may.
     */
    allowPeers: string[]
    /**
     * Servers: how long a block a put stored stays a (provisional) replica
     * before the put's end settles it; past it, it is released to cache,
     * where gc and the quota take it (an interrupted put's leftovers).
     * 0: pushed blocks are kept at once, as before leases. docs/storage.md.
     */
    putLeaseMs: number
  }
  network: {
    /**
     * A private network's pre-shared key (libp2p pnet, the
     * `/key/swarm/psk/1.0.0/` format): the key itself or, in Node.js, the
     * path of a file holding it. Empty: the public network. Nodes with
     * different keys cannot connect; WebRTC is off in a private network
     * (pnet cannot protect it). See docs/security.md.
     */
    psk: string
  }
}

/** A partial config, as written in a file or passed to `createNode`. */
export type WeftConfigInit = {
  [K in keyof WeftConfig]?: WeftConfig[K] extends string[] ? string[] : WeftConfig[K] extends object ? Partial<WeftConfig[K]> : WeftConfig[K]
}
