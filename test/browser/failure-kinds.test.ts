import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { BlockNotFoundError, BlockWriteError, InvalidCIDError, JoinTimeoutError, QuotaExceededError } from '../../src/index.js'
import { TransportMissingError, browserDialable, explainFailure } from '../../web/failure.js'

const CID = 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku'

describe('a failure as the page tells it', () => {
  it('is told apart by its cause', () => {
    const quota = Object.assign(new Error(''), { name: 'QuotaExceededError' })
    const cases: Array<[unknown, Parameters<typeof explainFailure>[1], string]> = [
      [new InvalidCIDError('"x" is not a valid CID', 'x'), {}, 'invalid-link'],
      [new BlockNotFoundError(CID, 2), { connections: 2 }, 'not-found'],
      [new BlockNotFoundError(CID, 0), { connections: 0 }, 'no-peers'],
      [new JoinTimeoutError(0, 1, false, 1000), {}, 'no-peers'],
      [new BlockWriteError(CID, undefined, 'the browser\'s storage for this site is full', { cause: quota }), {}, 'storage-full'],
      [new QuotaExceededError(CID, 10, 90, 95), {}, 'storage-full'],
      [new TransportMissingError('the server offers no webrtc-direct address', ['/ip4/1.2.3.4/tcp/1']), {}, 'transport-missing'],
      [new BlockNotFoundError(CID, 1), { bytes: 5, size: 10, connections: 1 }, 'interrupted'],
      [new Error('something else'), {}, 'failed']
    ]
    for (const [err, context, kind] of cases) assert.equal(explainFailure(err, context).kind, kind, String((err as Error).message))
  })

  it('offers a retry only where trying again can help', () => {
    assert.equal(explainFailure(new InvalidCIDError('bad', 'x')).retry, false)
    assert.equal(explainFailure(new TransportMissingError('none', [])).retry, false)
    assert.equal(explainFailure(new BlockNotFoundError(CID, 1), { connections: 1 }).retry, true)
  })

  it('keeps the error\'s own message, and says how far an interrupted transfer got', () => {
    const failure = explainFailure(new Error('stream reset'), { bytes: 9 * 1_048_576, size: 48 * 1_048_576 })
    assert.equal(failure.detail, 'stream reset')
    assert.equal(failure.message, 'The transfer was interrupted after 9.0 MiB of 48.0 MiB: retry to go on.')
  })

  it('knows which addresses a browser can dial', () => {
    assert.equal(browserDialable('/ip4/1.2.3.4/tcp/4002/ws/p2p/12D3KooW'), true)
    assert.equal(browserDialable('/dns4/x.org/tcp/443/wss'), true)
    assert.equal(browserDialable('/ip4/1.2.3.4/udp/4001/webrtc-direct/certhash/u/p2p/12D3KooW'), true)
    assert.equal(browserDialable('/ip4/1.2.3.4/tcp/4001/p2p/12D3KooW'), false)
  })
})
