import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { bootstrap } from '@libp2p/bootstrap'
import { identify, type Identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper, removePrivateAddressesMapper, type KadDHT } from '@libp2p/kad-dht'
import { ping, type Ping } from '@libp2p/ping'
import { weftStorage } from '../services/index.js'
import { withTableIntake, type TableIntake } from './connected-table.js'
import { keepClientsOut } from './dht-clients.js'
import { rejoin, type Rejoin } from './rejoin.js'
import type { PreSharedKey } from './private-network.js'
import type { Keychain } from '@libp2p/keychain'
import type { WeftStorage } from '../services/storage-types.js'
import type { LocalBlocks } from '../store/local-blocks.js'
import type { CircuitRelayService } from '@libp2p/circuit-relay-v2'
import type { WeftConfig } from '../config/config.js'
import type { PrivateKey } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'
import type { Libp2pOptions, ServiceFactoryMap } from 'libp2p'

/**
 * The shortest time a peer may take to answer a ping or a DHT request before
 * it counts as gone. libp2p's adaptive time-outs start at 5 s and follow the
 * answers seen while idle, so a busy server (a ping or a request queued
 * behind megabytes of blocks, or a machine whose cores are all taken) is
 * treated as dead exactly when it is working hardest.
 */
const SLOW_PEER_MIN_MS = 10_000

/** Ping streams allowed per connection and direction (ping's own default is 1 out, 2 in). */
const PING_STREAMS = 4

/**
 * The shape of a kad-dht lookup: how many requests a path keeps in flight
 * (`alpha`), and over how many disjoint paths the routing table's closest
 * peers are split (`disjointPaths`).
 */
export interface DhtQueryShape {
  alpha: number
  disjointPaths: number
  /**
   * Which peers named in answers the routing table takes (`TableIntake`,
   * src/node/connected-table.ts). Weft's nodes run kad-dht's own (`all`);
   * the others are for the benchmark's side-by-side rows only.
   */
  tableIntake?: TableIntake
}

/**
 * The lookup shape weft's nodes run: kad-dht's ten requests in flight, on
 * one path (go-libp2p-kad-dht's shape), not kad-dht's default of as many
 * paths as alpha. Each path keeps its own list of the k closest peers that
 * answered it and ends only when nothing it could still ask would enter
 * that list: with 10 paths each list holds a tenth of the answers, never
 * fills, and every path asks whatever closer peer it hears of. One path's list of k answers fills
 * after k answers, and from then on only a peer closer than its k-th is
 * asked, so a lookup costs little more than k requests: measured over 8
 * processes in one run at 200 nodes, 33.1 requests per lookup instead of
 * 60.1 with 10 paths, p50 488 ms instead of 634 (at 500: 36.2 instead of
 * ~103), every replica set and the k closest still found.
 * Three in flight (3x1) cost fewer still (23.5) but take three times the
 * sequential round trips, which a real network pays in latency; ten keep
 * the 2-3 rounds of ten paths. Weft's own lookups (placement, repair,
 * joining) and kad-dht's table refreshes all run through it. What one path
 * gives up: several paths' resistance to peers that answer only with their
 * friends (docs/security.md). Numbers: docs/performance.md, "4. DHT at scale".
 */
export const DHT_QUERY: DhtQueryShape = { alpha: 10, disjointPaths: 1 }

/** The services every weft node runs. `relay` only on servers. */
export interface NodeServices extends Record<string, unknown> {
  identify: Identify
  ping: Ping
  dht: KadDHT
  keychain?: Keychain
  storage: WeftStorage
  relay?: CircuitRelayService
  rejoin?: Rejoin
}

export interface OptionsInput {
  config: WeftConfig
  privateKey: PrivateKey
  datastore: Datastore
  blocks: LocalBlocks
  /**
   * A short-lived node (the CLI's put/get): a DHT client that holds no
   * replicas, keeps nothing it fetches and announces nothing.
   */
  transient?: boolean
  /**
   * The caller joins the node itself before its first lookup (the CLI's
   * `joinNetwork` waits for the routing table): kad-dht need not hold
   * lookups for a peer and its self-query. See `CreateNodeOptions.joinsFirst`.
   */
  joinsFirst?: boolean
  /** @libp2p/pnet's factory, loaded by createNode when `network.psk` is set. */
  preSharedKey?: PreSharedKey
  /** Another lookup shape than DHT_QUERY: for the benchmark's side-by-side comparisons only. */
  dhtQuery?: DhtQueryShape
}

/**
 * The part of the libp2p options both environments share: keys, stores,
 * encryption, muxing, the DHT under our own protocol, bootstrap.
 */
export function commonOptions ({ config, privateKey, datastore, blocks, transient = false, joinsFirst = false, dhtQuery = DHT_QUERY }: OptionsInput): Libp2pOptions<NodeServices> & { services: ServiceFactoryMap<NodeServices> } {
  const isServer = config.role === 'server' && !transient
  return {
    privateKey,
    datastore,
    addresses: {
      listen: config.listen,
      announce: config.announce
    },
    // The monitor pings every connection every 10 s and closes one whose ping
    // times out. Its adaptive time-out follows the round trips seen when
    // idle; a ping queued behind megabytes of blocks on a busy server then
    // "fails", the connection drops, and every server's replica maintenance
    // sees servers leave and join (seen: 20 servers on one machine dropping
    // dozens of connections a minute under load, each drop a repair sweep).
    connectionMonitor: { pingTimeout: { minTimeout: SLOW_PEER_MIN_MS } },
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: {
      maxConnections: config.connections.maxConnections,
      dialTimeout: config.connections.dialTimeoutMs,
      inboundConnectionThreshold: config.connections.inboundPerHostPerSecond,
      maxIncomingPendingConnections: config.connections.maxIncomingPending
    },
    // The browser build's default gater refuses private addresses and plain
    // `/ws`; a LAN or test network needs both.
    connectionGater: config.allowPrivateAddresses
      ? { denyDialMultiaddr: async () => false }
      : undefined,
    // bootstrap's default second before dialling stays: dialled earlier, a
    // peer can finish identify before kad-dht has registered its topology,
    // and never enter the routing table (seen: servers with 4 connections and
    // 1 routing table entry). The CLI dials its bootstrap peers itself.
    peerDiscovery: config.bootstrap.length > 0
      ? [bootstrap({ list: config.bootstrap })]
      : [],
    services: {
      identify: identify(),
      // libp2p's connection monitor pings every connection on this protocol
      // and aborts the connection when it cannot open the stream; kad-dht
      // pings new contacts on it too, and such a ping stream can linger
      // half-closed for seconds. With ping's default of one stream per
      // direction a lingering one made the next heartbeat kill the connection
      // (seen: pages losing their server, and with it their relay reservation).
      ping: ping({ maxInboundStreams: PING_STREAMS, maxOutboundStreams: PING_STREAMS }),
      // kad-dht's own routing-table intake: every peer named in an answer is
      // offered to the table (dialled and pinged if new). Taking only connected
      // peers cut the idle load of 500 nodes from 1.6 to 0.2 cores but missed
      // 1 replica set in 10 (docs/performance.md, "DHT: what a lookup's answers cost")
      // and never a DHT client, though libp2p marks one as a DHT server once
      // it sent a query (see keepClientsOut)
      dht: withTableIntake(dhtQuery.tableIntake ?? 'all', keepClientsOut(config.dht.protocol, kadDHT({
        protocol: config.dht.protocol,
        // kad-dht's code defaults to client mode: servers must say so to answer queries
        clientMode: !isServer,
        alpha: dhtQuery.alpha,
        disjointPaths: dhtQuery.disjointPaths,
        // every query waits for the first self-query, which kad-dht starts a
        // second after start by default; a client (a CLI get, a page) runs it
        // as soon as it has a peer, so its first lookup does not wait for a timer
        ...(isServer ? {} : { initialQuerySelfInterval: 0 }),
        // a node the caller joins itself (the CLI's get, put, stat, verify,
        // which ask for one key and exit): its lookup need not wait for that
        // self-query too (kad-dht holds every query until it has run), it
        // starts from the bootstrap peer in its routing table (joinNetwork
        // waits for that) and walks towards the key as any lookup does. Not
        // for every transient node: one made by createNode and used at once
        // would look up from an empty table and find no one
        ...(joinsFirst ? { allowQueryWithZeroPeers: true } : {}),
        peerInfoMapper: config.allowPrivateAddresses ? passthroughMapper : removePrivateAddressesMapper,
        // kad-dht pings a server before it enters the routing table and
        // gives each request the same adaptive time-out: with 20 servers on
        // two busy cores, requests timed out at 5 s, lookups came back with
        // one server, and connected servers never entered each other's tables
        networkDialTimeout: { minTimeout: SLOW_PEER_MIN_MS },
        pingNewContactTimeout: { minTimeout: SLOW_PEER_MIN_MS },
        pingOldContactTimeout: { minTimeout: SLOW_PEER_MIN_MS },
        // a connected server's way into the table (that ping, and whatever
        // it waits for in the table's queue) may take a few such waits
        onPeerConnectTimeout: 3 * SLOW_PEER_MIN_MS
      }))),
      storage: weftStorage({
        blocks,
        chunkSize: config.storage.chunkSize,
        replication: config.storage.replication,
        writeQuorum: config.storage.writeQuorum,
        fetchTimeoutMs: config.storage.fetchTimeoutMs,
        repairIntervalMs: config.storage.repairIntervalMs,
        repairBytesPerSecond: config.storage.repairBytesPerSecond,
        auditsPerHour: config.storage.auditsPerHour,
        auditDeadlineMs: config.storage.auditDeadlineMs,
        auditBytesPerHour: config.storage.auditBytesPerHour,
        responsibilitySlack: config.storage.responsibilitySlack,
        peerLimits: {
          storeBytesPerHour: config.storage.peerStoreBytesPerHour,
          storeBytes: config.storage.peerStoreBytes,
          streams: config.storage.peerStreams,
          serveBytesPerSecond: config.storage.peerServeBytesPerSecond
        },
        allowPeers: config.storage.allowPeers,
        holdReplicas: isServer,
        dhtProtocol: config.dht.protocol,
        cacheFetched: !transient
      }),
      // the CLI's short-lived nodes dial their bootstrap peers themselves
      ...(config.bootstrap.length > 0 && !transient ? { rejoin: rejoin({ list: config.bootstrap, dhtProtocol: config.dht.protocol }) } : {})
    }
  }
}
