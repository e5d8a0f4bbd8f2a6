// A testnet worker: one child process running several weft server nodes for
// `startTestnet` (testnet.ts), driven by requests over the IPC channel
// (testnet-protocol.ts). It dies with its parent: when the channel closes
// without a shutdown (the parent crashed or was killed), it stops its nodes,
// removes their temporary directories and exits.
import { rm } from 'node:fs/promises'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { createNode } from '../node/create-node.js'
import { routingTableOf, type RoutingTableView } from '../node/joining.js'
import { CID } from 'multiformats/cid'
import { knownPeers, trueClosest } from './closest.js'
import { seededBlock } from './seeded-blocks.js'
import { TestnetError, type StartNode, type StartedNode, type WorkerInit, type WorkerReply, type WorkerRequest } from './testnet-protocol.js'
import type { WeftNode } from '../node/node-types.js'

/**
 * How long a node's own first self-lookup may take before the worker runs
 * one for it. kad-dht runs it a second after start, once it has a peer;
 * when it fails it says nothing, and the join would wait forever.
 */
const SELF_LOOKUP_WAIT_MS = 15_000

/** Rounds of dials and a lookup `settle` runs for a node whose table stays short. */
const SETTLE_LOOKUPS = 5

/** The longest one of those lookups may take, so a stalled one leaves time for the next round. */
const SETTLE_LOOKUP_MS = 30_000

/** How long a node may take to stop when the worker lost its parent. */
const ORPHAN_STOP_MS = 5_000

interface Running {
  node: WeftNode
  spec: StartNode
}

let init: WorkerInit | undefined
const nodes = new Map<string, Running>()
let shuttingDown = false

function routingTable (node: WeftNode): RoutingTableView {
  const table = routingTableOf(node.libp2p)
  if (table == null) throw new TestnetError('the node has no DHT routing table', node.peerId.toString())
  return table
}

/** The TCP listen address on `host`: `/ip6/` for an IPv6 literal. */
function listenOn (host: string): string {
  return host.includes(':') ? `/ip6/${host}/tcp/0` : `/ip4/${host}/tcp/0`
}

async function start (spec: StartNode): Promise<StartedNode> {
  if (init == null) throw new TestnetError('the worker got no init before start', spec.index)
  const config = init.config
  const node = await createNode({
    ...config,
    role: 'server',
    dataDir: spec.dataDir,
    listen: [listenOn(init.host)],
    announce: [],
    bootstrap: [...spec.bootstrap, ...(config.bootstrap ?? [])],
    http: { ...config.http, enabled: false }
  }, { inMemory: init.inMemory })
  nodes.set(node.peerId.toString(), { node, spec })
  return { index: spec.index, peerId: node.peerId.toString(), multiaddrs: node.getMultiaddrs().map(String) }
}

/** Resolves once the node's first self-lookup finished (or its stand-in did). */
async function selfLookedUp (node: WeftNode): Promise<void> {
  await node.joined({ peers: 0, selfLookupMs: SELF_LOOKUP_WAIT_MS })
}

/**
 * A lookup of the node's own id: it asks the closest peers it knows for
 * closer ones, so it learns its neighbourhood, and each peer it asks learns
 * of it. A failed lookup only leaves the table as it was.
 */
async function selfLookup (node: WeftNode, timeoutMs: number): Promise<void> {
  await node.getClosestPeers(node.peerId.toMultihash().bytes, { signal: AbortSignal.timeout(Math.max(1, timeoutMs)) }).catch(() => [])
}

/**
 * Resolves once the routing table holds `count` peers. A server still short
 * of it after its self-lookup (it joined in the same wave as the peers it
 * lacks, so nobody could name them yet) dials the testnet's servers it is
 * not connected to, XOR-closest to it first: what kad-dht's table refresh
 * would find minutes later, without a lookup that, on a loaded machine,
 * takes tens of seconds. Each dial adds the peer once identify has run.
 */
async function settle (r: Running, count: number, peers: StartedNode[], timeoutMs: number): Promise<{ routingTableSize: number }> {
  const { node } = r
  const table = routingTable(node)
  const deadline = Date.now() + timeoutMs
  await selfLookedUp(r.node)
  if (table.size >= count) return { routingTableSize: table.size }
  const others = peers
    .map(p => ({ id: peerIdFromString(p.peerId), multiaddrs: p.multiaddrs }))
    .filter(p => !p.id.equals(node.peerId))
  const closest = (await trueClosest(node.peerId.toMultihash().bytes, await knownPeers(others.map(p => p.id)), count))
    .map(id => others.find(p => p.id.equals(id)))
    .filter(p => p != null)
  // the closest servers this node is not connected to (never was, or a
  // connection a loaded machine dropped): dialled before every round
  const dialUnconnected = async (): Promise<number> => {
    const unconnected = closest.filter(p => node.getConnections(p.id).length === 0)
    await Promise.all(unconnected.map(async p => {
      // a peer that cannot be dialled shows as a short table below
      await node.dial(p.multiaddrs.map(a => multiaddr(a)), { signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())) }).catch(() => {})
    }))
    return unconnected.length
  }
  let dialled = 0
  // A connected server can still be missing: kad-dht adds a peer on connect
  // after pinging it, once (seen on a loaded machine: 19 connections, 18 in
  // the table for minutes). It enters the table when it answers a query, so
  // while the table is short a lookup of the node's own id runs, raced
  // against the table filling by itself.
  for (let lookups = 0; table.size < count; lookups++) {
    if (lookups === SETTLE_LOOKUPS || Date.now() >= deadline) {
      throw new TestnetError(`node ${r.spec.index} (${node.peerId.toString()}) holds ${table.size} peers in its routing table, not ${count}, ` +
        `after ${dialled} dials of the closest servers it was not connected to and ${lookups} lookups of its own id (connected to ${node.libp2p.getPeers().length} peers)`, node.peerId.toString())
    }
    dialled += await dialUnconnected()
    if (table.size >= count) break
    const filled = new AbortController()
    await Promise.race([node.joined({ peers: count, selfLookup: false, signal: filled.signal }).catch(() => {}), selfLookup(node, Math.min(deadline - Date.now(), SETTLE_LOOKUP_MS))])
    filled.abort()
  }
  return { routingTableSize: table.size }
}

function running (peerId: string): Running {
  const found = nodes.get(peerId)
  if (found == null) throw new TestnetError(`no node ${peerId} runs in this process`, peerId)
  return found
}

async function stopNode (r: Running): Promise<void> {
  nodes.delete(r.node.peerId.toString())
  await r.node.stop()
  if (r.spec.removeDataDir) await rm(r.spec.dataDir, { recursive: true, force: true })
}

async function stopAll (): Promise<void> {
  shuttingDown = true
  await Promise.allSettled([...nodes.values()].map(stopNode))
}

async function handle (request: WorkerRequest): Promise<unknown> {
  switch (request.type) {
    case 'init': init = request.init; return null
    case 'start': return start(request.node)
    case 'joined': {
      const r = running(request.peerId)
      await selfLookedUp(r.node)
      return { routingTableSize: routingTable(r.node).size }
    }
    case 'settle': return settle(running(request.peerId), request.count, request.peers, request.timeoutMs)
    case 'status': return running(request.peerId).node.status()
    case 'seed': {
      const { blocks } = running(request.peerId).node.libp2p.services.storage
      const { seed, size, indices } = request.blocks
      for (const index of indices) {
        const { cid, bytes } = await seededBlock(seed, index, size)
        await blocks.put(cid, bytes, 'replica')
      }
      return null
    }
    case 'roles': {
      const { blocks } = running(request.peerId).node.libp2p.services.storage
      return request.cids.map(cid => blocks.roleOf(CID.parse(cid)) ?? null)
    }
    case 'stop': await stopNode(running(request.peerId)); return null
    case 'shutdown': await stopAll(); return null
  }
}

function send (reply: WorkerReply): void {
  if (process.connected) process.send?.(reply)
}

process.on('message', (request: WorkerRequest) => {
  handle(request).then(value => {
    send({ id: request.id, ok: true, value: value ?? null })
    if (request.type === 'shutdown') process.disconnect()
  }, (err: any) => {
    send({ id: request.id, ok: false, error: { name: err?.name ?? 'Error', message: String(err?.message ?? err), ...(err?.value !== undefined ? { value: err.value } : {}) } })
  })
})

// The parent went away: after a shutdown that is the normal end; otherwise
// it died without stopping us, and nobody else will clean up.
process.on('disconnect', () => {
  const orphaned = !shuttingDown
  const timer = setTimeout(() => process.exit(1), ORPHAN_STOP_MS)
  void (async () => {
    if (orphaned) {
      await stopAll()
      if (init?.removeOnOrphan != null) await rm(init.removeOnOrphan, { recursive: true, force: true }).catch(() => {})
    }
    clearTimeout(timer)
    // libp2p can leave timers behind after stop: they must not keep us alive
    process.exit(orphaned ? 1 : 0)
  })()
})

// a node's stray rejection (a peer hanging up mid-stream) must not take the other nodes down
process.on('unhandledRejection', err => { process.stderr.write(`testnet worker: unhandled rejection: ${String((err as any)?.stack ?? err)}\n`) })

if (process.send == null) {
  process.stderr.write('testnet-worker is started by startTestnet (src/testing/testnet.ts), over an IPC channel\n')
  process.exit(2)
}
