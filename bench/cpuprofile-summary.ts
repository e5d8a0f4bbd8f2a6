// Where the CPU of a set of V8 CPU profiles went (the querier's per-lookup
// profiles of WEFT_BENCH_DHT_QUERIER_PROFILE, bench/dht-tcp-worker.ts):
// `node dist/bench/cpuprofile-summary.js <dir or files…>` prints the busy
// time, its self time by package, and the time spent under each of the
// functions named in UNDER (inclusive: a sample counts for every one of them
// on its stack), as shares of the busy time.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

interface ProfileNode {
  id: number
  callFrame: { functionName: string, url: string, lineNumber: number }
  children?: number[]
}

interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

/** Functions whose inclusive time says what a lookup's CPU was spent on: label, then function name and a part of its file's path. */
const UNDER: Array<[string, string, string]> = [
  ['noise handshake', 'performHandshakeInitiator', 'libp2p-noise'],
  ['noise handshake (responder)', 'performHandshakeResponder', 'libp2p-noise'],
  ['noise encrypt/decrypt', 'encryptStream', 'libp2p-noise'],
  ['noise decrypt', 'decryptStream', 'libp2p-noise'],
  ['identify (run)', '_identify', '@libp2p/identify'],
  ['identify (handle)', 'handleProtocol', '@libp2p/identify'],
  ['identify: consume message', 'consumeIdentifyMessage', '@libp2p/identify'],
  ['identify push', 'push', '@libp2p/identify'],
  ['peer store merge', 'merge', 'peer-store'],
  ['peer store patch', 'patch', 'peer-store'],
  ['peer store save', 'save', 'peer-store'],
  ['peer store get', 'get', 'peer-store'],
  ['peer store getInfo', 'getInfo', 'peer-store'],
  ['peer store all', 'all', 'peer-store'],
  ['libp2p discovery → peer store', 'onDiscoveryPeer', 'libp2p/dist'],
  ['kad network: read/write message', '_writeReadMessage', 'kad-dht'],
  ['kad network: sendRequest', 'sendRequest', 'kad-dht'],
  ['kad: onPeerConnect (table update queued)', 'onPeerConnect', 'kad-dht'],
  ['kad: routing table add', 'add', 'routing-table/k-bucket'],
  ['kad: verifyNewContact (ping)', 'verifyNewContact', 'kad-dht'],
  ['kad: pingOldContacts', 'pingOldContacts', 'kad-dht'],
  ['kad: _determineBucket', '_determineBucket', 'kad-dht'],
  ['kad: query path', 'queryPath', 'kad-dht'],
  ['kad: PeerDistanceList', 'addWithKadId', 'kad-dht'],
  ['kad: convertPeerId / convertBuffer', 'convertPeerId', 'kad-dht'],
  ['kad: rpc handle (answering)', 'onIncomingStream', 'kad-dht'],
  ['kad: FIND_NODE handler', 'handle', 'rpc/handlers/find-node'],
  ['kad: getClosestPeersOffline', 'getClosestPeersOffline', 'kad-dht'],
  ['ping service', 'ping', '@libp2p/ping'],
  ['dial (connection manager)', 'dial', 'connection-manager'],
  ['upgrader: outbound', 'upgradeOutbound', 'libp2p/dist'],
  ['upgrader: inbound', 'upgradeInbound', 'libp2p/dist'],
  ['multistream select', 'select', 'multistream-select'],
  ['multistream handle', 'handle', 'multistream-select'],
  ['yamux', '', 'libp2p-yamux'],
  ['tcp', '', '@libp2p/tcp'],
  ['ed25519 (noble or node crypto)', '', 'crypto/dist/src/keys/ed25519'],
  ['multiaddr', '', '@multiformats/multiaddr'],
  ['protons decode/encode', '', 'protons-runtime'],
  ['sha256', 'digest', 'sha2'],
  ['logger creation (weald)', 'createDebug', 'weald'],
  ['getConnections', 'getConnections', 'libp2p/dist']
]

/** A frame of weft's or the benchmark's own code (not a package's dist/src). */
const OWN = (url: string): string | undefined => url.includes('node_modules') ? undefined : url.includes('/dist/src/') ? 'weft code' : url.includes('/dist/bench/') ? 'bench code' : undefined

function files (args: string[]): string[] {
  return args.flatMap(a => statSync(a).isDirectory()
    ? readdirSync(a).filter(f => f.endsWith('.cpuprofile')).map(f => join(a, f))
    : [a])
}

function packageOf (url: string): string {
  if (url === '') return '(native or V8)'
  const nm = url.lastIndexOf('node_modules/')
  if (nm === -1) {
    if (url.startsWith('node:')) return url
    if (url.includes('/dist/src/')) return 'weft'
    if (url.includes('/dist/bench/')) return 'bench'
    return url
  }
  const rest = url.slice(nm + 'node_modules/'.length).split('/')
  return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]
}

const selfByPackage = new Map<string, number>()
const selfByFunction = new Map<string, number>()
const under = new Map<string, number>()
const outermost = new Map<string, number>()
let total = 0
let idle = 0
let count = 0
for (const file of files(process.argv.slice(2))) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
  count++
  const byId = new Map(profile.nodes.map(n => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  // the labels each node's stack holds, computed once per node
  const labels = new Map<number, Set<string>>()
  // the first label met walking from the root: the operation a sample belongs to
  const first = new Map<number, string>()
  const firstOf = (id: number): string => {
    const known = first.get(id)
    if (known != null) return known
    const up = parent.get(id)
    let label = up != null ? firstOf(up) : '(none)'
    const node = byId.get(id)
    if (label === '(none)' && node != null) {
      const match = UNDER.find(([, fn, path]) => (fn === '' || node.callFrame.functionName === fn) && node.callFrame.url.includes(path))
      if (match != null) label = match[0]
    }
    first.set(id, label)
    return label
  }
  const labelsOf = (id: number): Set<string> => {
    const known = labels.get(id)
    if (known != null) return known
    const node = byId.get(id)
    const up = parent.get(id)
    const set = new Set(up != null ? labelsOf(up) : [])
    if (node != null) {
      for (const [label, fn, path] of UNDER) {
        if ((fn === '' || node.callFrame.functionName === fn) && node.callFrame.url.includes(path)) set.add(label)
      }
      const own = OWN(node.callFrame.url)
      if (own != null) set.add(own)
    }
    labels.set(id, set)
    return set
  }
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000
    const node = byId.get(id)
    if (node == null) return
    const fn = node.callFrame.functionName
    if (fn === '(idle)' || fn === '(program)') { idle += ms; return }
    total += ms
    const pkg = fn === '(garbage collector)' ? '(garbage collector)' : packageOf(node.callFrame.url)
    selfByPackage.set(pkg, (selfByPackage.get(pkg) ?? 0) + ms)
    const key = `${fn || '(anonymous)'} ${packageOf(node.callFrame.url)}:${node.callFrame.lineNumber}`
    selfByFunction.set(key, (selfByFunction.get(key) ?? 0) + ms)
    for (const label of labelsOf(id)) under.set(label, (under.get(label) ?? 0) + ms)
    const top = firstOf(id)
    outermost.set(top, (outermost.get(top) ?? 0) + ms)
  })
}

const pct = (ms: number): string => `${(100 * ms / total).toFixed(1)} %`
const table = (title: string, m: Map<string, number>, limit: number): void => {
  console.log(`\n${title}`)
  for (const [k, ms] of [...m].sort((a, b) => b[1] - a[1]).slice(0, limit)) {
    console.log(`  ${pct(ms).padStart(7)}  ${(ms / count).toFixed(1).padStart(7)} ms/profile  ${k}`)
  }
}
console.log(`${count} profiles: busy ${(total / count).toFixed(1)} ms per profile, idle or program ${(idle / count).toFixed(1)} ms per profile`)
table('self time by package', selfByPackage, 25)
table('time under (inclusive)', under, UNDER.length + 2)
table('outermost operation (each sample once, by the first of UNDER met from the root)', outermost, UNDER.length + 1)
table('self time by function', selfByFunction, 40)
