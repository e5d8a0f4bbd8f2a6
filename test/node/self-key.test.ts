import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { loadOrCreateSelfKey } from '@libp2p/config'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { MemoryDatastore } from 'datastore-core/memory'
import { loadSelfKey, SELF_KEY } from '../../src/node/self-key.browser.js'

describe('a page\'s own key (self-key.browser.ts)', () => {
  it('is made once and the same key comes back from the same datastore', async () => {
    const datastore = new MemoryDatastore()
    const first = peerIdFromPrivateKey(await loadSelfKey(datastore))
    assert.ok(await datastore.has(SELF_KEY))
    const again = peerIdFromPrivateKey(await loadSelfKey(datastore))
    assert.equal(again.toString(), first.toString())
    assert.equal(first.type, 'Ed25519')
  })

  it('keeps the PeerId of a page whose key the keychain kept before, and keeps it plainly from then on', async () => {
    const datastore = new MemoryDatastore()
    const before = peerIdFromPrivateKey(await loadOrCreateSelfKey(datastore))
    const now = peerIdFromPrivateKey(await loadSelfKey(datastore))
    assert.equal(now.toString(), before.toString())
    assert.ok(await datastore.has(SELF_KEY), 'moved to the plain record')
    assert.equal(peerIdFromPrivateKey(await loadSelfKey(datastore)).toString(), before.toString())
  })

  it('gives two datastores two keys', async () => {
    const a = peerIdFromPrivateKey(await loadSelfKey(new MemoryDatastore()))
    const b = peerIdFromPrivateKey(await loadSelfKey(new MemoryDatastore()))
    assert.notEqual(a.toString(), b.toString())
  })
})
