import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { pbStream } from '@libp2p/utils'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { AuditDeadlineError, ProtocolError } from '../../src/errors.js'
import { AUDIT_NONCE_BYTES, AUDIT_PEER_SHARE, AuditBudget, auditProof, auditRequestHandler, emptyAnswerStats, MAX_AUDIT_MESSAGE_BYTES, requestAudit, type AuditRequestHandlerOptions } from '../../src/protocols/audit-protocol.js'
import { AuditAnswer, AuditChallenge, AuditStatus } from '../../src/protocols/pb/audit.js'
import { MemoryBlocks, closed, dialHandler, randomPeerId, rawBlock } from '../support/fakes.js'
import { SERVER, answer, hostileResponder, isProtocolError, varint } from './hostile.js'
import type { Stream } from '@libp2p/interface'

const nonce = (fill = 7): Uint8Array => new Uint8Array(AUDIT_NONCE_BYTES).fill(fill)
const DEADLINE = { deadlineMs: 5_000, peer: SERVER }

async function serverFor (blocks: MemoryBlocks, options: AuditRequestHandlerOptions = {}): Promise<{ stream: Stream, inbound: Stream, handled: Promise<void> }> {
  return dialHandler(auditRequestHandler(blocks, options), await randomPeerId())
}

/** Sends `bytes` as the whole challenge to a real responder and returns the error it reports. */
async function hostileChallenge (bytes: Uint8Array[]): Promise<{ error: Error, inbound: Stream }> {
  const errors: Error[] = []
  const { stream, inbound, handled } = await serverFor(new MemoryBlocks(), { onError: (err) => errors.push(err) })
  for (const chunk of bytes) stream.send(chunk)
  await stream.close().catch(() => {})
  await handled
  assert.equal(errors.length, 1)
  return { error: errors[0], inbound }
}

describe('audit protocol', () => {
  it('a holder of the block answers sha2-256(nonce || bytes), which the auditor can check', async () => {
    const block = await rawBlock('audited', 200_000)
    const blocks = new MemoryBlocks()
    await blocks.put(block.cid, block.bytes, 'replica')
    const stats = emptyAnswerStats()
    const { stream, inbound, handled } = await serverFor(blocks, { stats })

    const reply = await requestAudit(stream, block.cid, nonce(), DEADLINE)

    assert.equal(reply.status, 'proof')
    assert.ok(reply.status === 'proof' && uint8ArrayEquals(reply.proof, await auditProof(nonce(), block.bytes)))
    await handled
    assert.equal(await closed(inbound), 'closed')
    assert.deepEqual(stats, { proved: 1, notHeld: 0, busy: 0, bytesHashed: 200_000 })
  })

  it('the proof depends on the nonce and on every byte: another nonce or one flipped byte gives another proof', async () => {
    const block = await rawBlock('audited', 4096)
    const flipped = Uint8Array.from(block.bytes)
    flipped[4095] ^= 1
    const proof = await auditProof(nonce(1), block.bytes)
    assert.ok(!uint8ArrayEquals(proof, await auditProof(nonce(2), block.bytes)))
    assert.ok(!uint8ArrayEquals(proof, await auditProof(nonce(1), flipped)))
  })

  it('a peer without the block answers not held', async () => {
    const block = await rawBlock('absent')
    const stats = emptyAnswerStats()
    const { stream } = await serverFor(new MemoryBlocks(), { stats })

    assert.deepEqual(await requestAudit(stream, block.cid, nonce(), DEADLINE), { status: 'not-held' })
    assert.equal(stats.notHeld, 1)
  })

  it('a holder answering from bytes it no longer has gives a proof that does not match', async () => {
    const block = await rawBlock('lost')
    const blocks = new MemoryBlocks()
    // what a disk that lost the bytes gives back: zeros of the same length
    await blocks.put(block.cid, new Uint8Array(block.bytes.byteLength), 'replica')
    const { stream } = await serverFor(blocks)

    const reply = await requestAudit(stream, block.cid, nonce(), DEADLINE)
    assert.ok(reply.status === 'proof' && !uint8ArrayEquals(reply.proof, await auditProof(nonce(), block.bytes)))
  })

  it('fails with AuditDeadlineError, naming the peer, the block and the deadline, when the answer is late', async () => {
    const block = await rawBlock('slow')
    let answerLate: () => void = () => {}
    // reads the challenge and answers only after the auditor gave up
    const stream = await hostileResponder(AuditChallenge, async (s) => {
      await new Promise<void>(resolve => { answerLate = resolve })
      await answer(s, AuditAnswer, { status: AuditStatus.AUDIT_PROOF, proof: new Uint8Array(32) })
    })

    await assert.rejects(requestAudit(stream, block.cid, nonce(), { peer: SERVER, deadlineMs: 50 }), (err: unknown) => {
      assert.ok(err instanceof AuditDeadlineError, String(err))
      assert.equal(err.peer, SERVER)
      assert.equal(err.cid, block.cid.toString())
      assert.equal(err.deadlineMs, 50)
      assert.match(err.message, /did not answer the audit of .* within 50 ms/)
      return true
    })
    assert.equal(stream.status, 'aborted')
    answerLate()
  })

  it('answers busy once a peer spent its share of the budget, while another peer is still answered', async () => {
    const block = await rawBlock('budget', 1000)
    const blocks = new MemoryBlocks()
    await blocks.put(block.cid, block.bytes, 'replica')
    // a peer's share is an eighth: 1000 bytes an hour, one block's worth
    const budget = new AuditBudget(1000 * AUDIT_PEER_SHARE, () => 0)
    const stats = emptyAnswerStats()
    const handler = auditRequestHandler(blocks, { budget, stats })
    const greedy = await randomPeerId()

    assert.equal((await requestAudit((await dialHandler(handler, greedy)).stream, block.cid, nonce(), DEADLINE)).status, 'proof')
    assert.deepEqual(await requestAudit((await dialHandler(handler, greedy)).stream, block.cid, nonce(), DEADLINE), { status: 'busy' })
    assert.equal((await requestAudit((await dialHandler(handler, await randomPeerId())).stream, block.cid, nonce(), DEADLINE)).status, 'proof')
    assert.deepEqual(stats, { proved: 2, notHeld: 0, busy: 1, bytesHashed: 2000 })
  })

  it('a budget refills over the hour, and refuses everyone once all peers together spent it', () => {
    let now = 0
    const budget = new AuditBudget(8000, () => now)
    for (let i = 0; i < AUDIT_PEER_SHARE; i++) {
      assert.ok(budget.allows(`peer ${i}`))
      budget.charge(`peer ${i}`, 1000)
    }
    assert.equal(budget.allows('peer 0'), false)
    assert.equal(budget.allows('a newcomer'), false)
    now += 3_600_000 / 8
    assert.ok(budget.allows('a newcomer'))
    assert.ok(new AuditBudget(0).allows('anyone'))
  })

  it('refuses to send a nonce of the wrong length', async () => {
    const block = await rawBlock('a')
    const { stream } = await serverFor(new MemoryBlocks())
    await assert.rejects(requestAudit(stream, block.cid, new Uint8Array(16), DEADLINE), RangeError)
  })

  it('aborts the stream on a malformed challenge, a bad CID or a nonce of the wrong length, naming the peer', async () => {
    const block = await rawBlock('a')
    const challenges: Array<[Uint8Array, RegExp]> = [
      [Uint8Array.from([0x0a, 0xff, 0xff]), /sent a malformed audit challenge/],
      [AuditChallenge.encode({ cid: Uint8Array.from([1, 2, 3]), nonce: nonce() as Uint8Array<ArrayBuffer> }), /sent a malformed CID/],
      [AuditChallenge.encode({ cid: new Uint8Array(0), nonce: nonce() as Uint8Array<ArrayBuffer> }), /sent an empty CID/],
      [AuditChallenge.encode({ cid: block.cid.bytes as Uint8Array<ArrayBuffer>, nonce: new Uint8Array(8) }), /with a nonce of 8 bytes, not 32/],
      [AuditChallenge.encode({ cid: block.cid.bytes as Uint8Array<ArrayBuffer> }), /with a nonce of 0 bytes, not 32/]
    ]
    for (const [challenge, pattern] of challenges) {
      const { error, inbound } = await hostileChallenge([varint(challenge.byteLength), challenge])
      assert.ok(error instanceof ProtocolError, String(error))
      assert.match(error.message, pattern)
      assert.match(error.message, /^peer 12D3KooW/)
      assert.equal(inbound.status, 'aborted')
    }
  })

  it('aborts a challenge longer than MAX_AUDIT_MESSAGE_BYTES from its length prefix, and one followed by more', async () => {
    const long = await hostileChallenge([varint(MAX_AUDIT_MESSAGE_BYTES + 1), new Uint8Array(16)])
    assert.match(long.error.message, new RegExp(`longer than the ${MAX_AUDIT_MESSAGE_BYTES} bytes allowed`))
    assert.equal(long.inbound.status, 'aborted')

    const block = await rawBlock('a')
    const errors: Error[] = []
    const { stream, inbound, handled } = await serverFor(new MemoryBlocks(), { onError: (err) => errors.push(err) })
    const pb = pbStream(stream)
    const challenge = { cid: block.cid.bytes, nonce: nonce() } as Partial<AuditChallenge>
    await pb.write(challenge, AuditChallenge)
    await pb.write(challenge, AuditChallenge)
    await handled
    assert.equal(inbound.status, 'aborted')
    assert.match(errors[0].message, /sent more after its audit challenge/)
  })

  it('rejects an unknown status, a proof of the wrong length, a proof with not held, garbage and a close without an answer', async () => {
    const block = await rawBlock('a')
    const encoded = (status: number, proof?: Uint8Array): Uint8Array => {
      const body = [0x08, status, ...(proof != null ? [0x12, proof.byteLength, ...proof] : [])]
      return Uint8Array.from([body.length, ...body])
    }
    const responders: Array<[(s: Stream) => Promise<void>, RegExp]> = [
      [async (s) => { s.send(encoded(0)) }, /with the unknown status AUDIT_UNKNOWN/],
      [async (s) => { s.send(encoded(9)) }, /malformed audit answer|unknown status/],
      [async (s) => { await answer(s, AuditAnswer, { status: AuditStatus.AUDIT_PROOF, proof: new Uint8Array(31) }) }, /a proof of 31 bytes, not 32/],
      [async (s) => { await answer(s, AuditAnswer, { status: AuditStatus.AUDIT_NOT_HELD, proof: new Uint8Array(32) }) }, /with a proof and the status AUDIT_NOT_HELD/],
      [async (s) => { s.send(new Uint8Array(12).fill(0xff)) }, /./],
      [async (s) => { await answer(s, AuditAnswer, { status: AuditStatus.AUDIT_NOT_HELD }); await answer(s, AuditAnswer, { status: AuditStatus.AUDIT_NOT_HELD }) }, /sent more after its audit answer/],
      [async (s) => { await s.close() }, /closed the stream while we waited for its audit answer/]
    ]
    for (const [respond, pattern] of responders) {
      const stream = await hostileResponder(AuditChallenge, respond)
      await assert.rejects(requestAudit(stream, block.cid, nonce(), DEADLINE), isProtocolError(pattern))
      assert.ok(['aborted', 'closed'].includes(stream.status), stream.status)
    }
  })

  it('keeps serving after a hostile stream', async () => {
    const block = await rawBlock('a')
    const blocks = new MemoryBlocks()
    await blocks.put(block.cid, block.bytes, 'replica')
    const handler = auditRequestHandler(blocks)
    const peer = await randomPeerId()

    const hostile = await dialHandler(handler, peer)
    hostile.stream.send(new Uint8Array(12).fill(0xff))
    await hostile.handled
    assert.equal(hostile.inbound.status, 'aborted')

    const second = await dialHandler(handler, peer)
    assert.equal((await requestAudit(second.stream, block.cid, nonce(), DEADLINE)).status, 'proof')
  })

  it('stops an audit when its signal aborts, throwing the reason', async () => {
    const block = await rawBlock('a')
    const controller = new AbortController()
    const reason = new Error('auditor stopped')
    const stream = await hostileResponder(AuditChallenge, async () => { controller.abort(reason) })

    await assert.rejects(requestAudit(stream, block.cid, nonce(), { ...DEADLINE, signal: controller.signal }), (err) => err === reason)
    assert.equal(stream.status, 'aborted')
  })
})
