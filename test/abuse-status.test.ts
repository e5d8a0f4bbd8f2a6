import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { refusedLine } from '../src/cli/commands/status.js'

const NONE = { notResponsible: 0, peerStoreBytesPerHour: 0, peerStoreBytes: 0, peerStreams: 0, notAllowed: 0 }

describe('weft status: refusals', () => {
  it('names each refusal reason that was hit, with its count, and the serves paced', () => {
    assert.equal(refusedLine({ refusals: { ...NONE, notResponsible: 3, peerStoreBytesPerHour: 1234 }, servesPaced: 2, knownServers: 4 }),
      '3 not responsible, 1,234 over storage.peerStoreBytesPerHour; 2 serves paced since start')
    assert.equal(refusedLine({ refusals: { ...NONE, peerStreams: 1 }, servesPaced: 0, knownServers: 4 }), '1 over storage.peerStreams since start')
    assert.equal(refusedLine({ refusals: NONE, servesPaced: 1, knownServers: 4 }), '1 serve paced since start')
  })

  it('says nothing was refused when no limit was hit', () => {
    assert.equal(refusedLine({ refusals: NONE, servesPaced: 0, knownServers: 0 }), 'nothing since start')
  })
})
