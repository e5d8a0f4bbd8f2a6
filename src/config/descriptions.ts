/**
 * One line of meaning per setting, for `weft <command> --help` (which also
 * shows each default, from config/server.json). Keyed by the setting's key
 * in src/config/schema.ts: a spec checks that every setting has a line here
 * and that the help shows it, so a new setting cannot go undocumented.
 */
export const SETTING_DESCRIPTIONS: Readonly<Record<string, string>> = {
  role: '"server" (stores, routes, relays) or "browser"',
  dataDir: 'directory of the node\'s stores and key (browser: IndexedDB name)',
  listen: 'multiaddrs to listen on (0.0.0.0: every interface; 127.0.0.1: this machine only; port 0: any free)',
  announce: 'multiaddrs to announce instead of the listening ones (a public address behind NAT)',
  bootstrap: 'servers to join through: a multiaddr with /p2p/<id>, a server\'s URL (http://HOST:PORT) or a running server\'s data directory',
  allowPrivateAddresses: 'keep private and loopback addresses in the DHT (a LAN or test network)',
  'dht.protocol': 'the kad-dht protocol id; nodes with another one form another network',
  'relay.maxReservations': 'browsers that may hold a circuit-relay reservation on this server at once',
  'relay.reservationTtlMs': 'how long a relay reservation lasts before the browser renews it (ms)',
  'relay.maxReservationsPerRange': 'relay reservations the clients of one /24 (IPv4) or /48 (IPv6) may hold at once (0: no limit)',
  'connections.maxConnections': 'open connections at most',
  'connections.dialTimeoutMs': 'how long a dial may take (ms); put and get wait this long for a bootstrap peer',
  'connections.inboundPerHostPerSecond': 'connections accepted per second from one IP address',
  'connections.maxIncomingPending': 'incoming connections being set up at once',
  'webrtc.iceServers': 'stun:/turn: URLs for WebRTC; none by default, so nothing depends on a third party',
  'http.enabled': 'serve the page, /weft/bootstrap.json and /weft/status.json',
  'http.host': 'address the HTTP server binds (0.0.0.0: every interface; 127.0.0.1: this machine only)',
  'http.port': 'HTTP port (0: any free port)',
  'http.gateway': 'serve the IPFS HTTP gateway under /ipfs/ (docs/gateway.md)',
  'http.gatewayTimeoutMs': 'how long a gateway request may wait with no block arriving from the network (ms): 504 before the answer started',
  'http.gatewayMaxBytes': 'bytes one gateway request may fetch from the network (0: no limit); what the server holds it serves whatever the size',
  'http.metrics': 'serve GET /metrics: Prometheus text of the stack\'s metrics and weft\'s weft_* series',
  'storage.maxBytes': 'quota for stored block bytes; cached blocks are evicted first',
  'storage.chunkSize': 'bytes per leaf block of new files (1 KiB to 1 MiB)',
  'storage.replication': 'servers each block is stored at',
  'storage.writeQuorum': 'servers that must keep every block before a put succeeds (at most storage.replication)',
  'storage.fetchTimeoutMs': 'how long finding one block may take before a get fails (ms)',
  'storage.repairIntervalMs': 'how often a server sweeps its blocks to restore their replicas (ms; 0: never)',
  'storage.repairBytesPerSecond': 'block bytes replica maintenance pushes per second at most (0: no limit)',
  'storage.auditsPerHour': 'storage audits a server starts per hour, each challenging another holder of a block it keeps (0: none)',
  'storage.auditDeadlineMs': 'time a holder has to answer an audit beyond one round trip (ms)',
  'storage.auditBytesPerHour': 'block bytes a server hashes per hour answering audits, all peers together (0: no limit)',
  'storage.responsibilitySlack': 'a pushed block is kept only when this server is among its replication + this many closest servers it knows',
  'storage.peerStoreBytesPerHour': 'block bytes one peer outside a block\'s replica set may store here per hour (0: no limit)',
  'storage.peerStoreBytes': 'block bytes one peer may store here in all since start (0: no limit)',
  'storage.peerStreams': 'streams one peer may hold open at once per weft protocol (0: no limit)',
  'storage.peerServeBytesPerSecond': 'block bytes served to one peer per second; more waits its turn (0: no limit)',
  'storage.allowPeers': 'the only PeerIds whose pushed blocks this server keeps, comma-separated (empty: anyone)',
  'storage.putLeaseMs': 'how long blocks of a put that never finished stay replicas here before they are released to cache (ms; 0: kept at once)',
  'network.psk': 'a private network\'s pre-shared key (libp2p pnet swarm key), inline or a file path; empty: the public network'
}
