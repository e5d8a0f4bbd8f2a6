import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ReplicaFinder } from '../src/placement/replica-finder.js'
import { DEFAULT_RESPONSIBILITY_SLACK, Responsibility } from '../src/placement/responsibility.js'
import { kadId, kadNumber, peerKadId } from '../src/placement/xor.js'
import { randomPeerId, rawBlock } from './support/fakes.js'
import type { PeerId } from '@libp2p/interface'

const HONEST = 50
const REPLICATION = 5

interface Server { peer: PeerId, kad: bigint }

async function server (): Promise<Server> {
  const peer = await randomPeerId()
  return { peer, kad: kadNumber(await peerKadId(peer)) }
}

/**
 * What an attacker does to own a key: makes fresh Ed25519 identities until
 * `count` of them are closer to `target` than every honest server. Returns
 * them and how many identities it took.
 */
async function grind (target: bigint, honest: Server[], count: number): Promise<{ sybils: Server[], tries: number }> {
  const nearestHonest = honest.reduce((best, s) => (s.kad ^ target) < best ? s.kad ^ target : best, 1n << 256n)
  const sybils: Server[] = []
  let tries = 0
  while (sybils.length < count) {
    tries++
    const candidate = await server()
    if ((candidate.kad ^ target) < nearestHonest) sybils.push(candidate)
  }
  return { sybils, tries }
}

/** A server's view: it knows every server of the network, as after lookups of the region. */
async function viewOf (self: Server, all: Server[]): Promise<Responsibility> {
  const finder = new ReplicaFinder({ routing: { getClosestPeers: async function * () {} }, connections: () => 0, replication: REPLICATION, self: () => self.peer })
  for (const s of all) if (!s.peer.equals(self.peer)) await finder.seen(s.peer)
  return new Responsibility({ self: self.peer, replication: REPLICATION, finder })
}

/**
 * A measured attack, in the placement logic (real keys, real XOR ranking,
 * the real responsibility rule; no network): see docs/security.md, "Sybil
 * and eclipse". What it shows is what weft does *not* defend against yet.
 */
describe('sybil: identities made near one key', () => {
  it('take a block\'s whole replica set, and with replication + slack of them every honest server refuses the block', async () => {
    const honest = await Promise.all(Array.from({ length: HONEST }, server))
    const { cid } = await rawBlock('the block under attack')
    const target = kadNumber(await kadId(cid.multihash.bytes))
    const width = REPLICATION + DEFAULT_RESPONSIBILITY_SLACK

    const started = performance.now()
    const { sybils, tries } = await grind(target, honest, width)
    const ms = performance.now() - started
    const all = [...honest, ...sybils]

    // placement: an uploader's replica set is all Sybils
    const uploaderView = await viewOf(await server(), all)
    const set = await uploaderView.among(cid, all.map(s => s.peer))
    const closest = set.slice(0, REPLICATION)
    assert.ok(closest.every(p => sybils.some(s => s.peer.equals(p))), 'the replica set holds an honest server')

    // responsibility: no honest server will take the block, so an uploader
    // that finds the Sybils dropping it has nowhere honest to go
    const refusing = await Promise.all(honest.map(async s => !(await (await viewOf(s, all)).members(cid)).self))
    assert.equal(refusing.filter(Boolean).length, HONEST)

    console.info(`sybil: ${width} identities closer to one key than all ${HONEST} honest servers took ${tries} key pairs (${ms.toFixed(0)} ms on one core); ` +
      `${REPLICATION} of ${REPLICATION} replicas and ${HONEST} of ${HONEST} honest refusals`)
  })

  it('with only replication of them, the honest servers next in line still take the block: the slack is where an uploader falls back to', async () => {
    const honest = await Promise.all(Array.from({ length: HONEST }, server))
    const { cid } = await rawBlock('a block with some honest room')
    const target = kadNumber(await kadId(cid.multihash.bytes))
    const { sybils } = await grind(target, honest, REPLICATION)
    const all = [...honest, ...sybils]

    const accepting = await Promise.all(honest.map(async s => (await (await viewOf(s, all)).members(cid)).self))
    assert.equal(accepting.filter(Boolean).length, DEFAULT_RESPONSIBILITY_SLACK)
  })
})
