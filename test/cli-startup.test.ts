import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, describe, it } from 'node:test'
import { WebSockets } from '@multiformats/multiaddr-matcher'
import { multiaddr } from '@multiformats/multiaddr'
import { removeDir, runWeft, runWeftPiped, spawnServer, tempDir, type WeftProcess } from './support/weft-process.js'

// What a transient CLI node loads (issue 15, item 3): a get through a
// server's TCP address should load no transport it does not dial, no
// keychain and no disk store: together they were most of a 1 KiB get's
// start-up (docs/performance.md, "CLI start-up").

const counter = fileURLToPath(new URL('../../test/support/loaded-packages.mjs', import.meta.url))

/** Packages a transient node needs only to dial something other than TCP, to keep data on disk, or to put. */
const NOT_FOR_A_TCP_GET = ['@libp2p/webrtc', 'node-datachannel', '@peculiar/x509', '@libp2p/websockets', 'ws', '@libp2p/circuit-relay-v2', '@libp2p/keychain', '@libp2p/config', 'datastore-level', 'classic-level', 'blockstore-fs', 'ipfs-unixfs-importer']

function loaded (stderr: string): string[] {
  const line = /^packages loaded: (.*)$/m.exec(stderr)
  assert.ok(line != null, `no packages line in: ${stderr}`)
  return line[1].split(' ')
}

describe('a transient CLI node loads what it dials', () => {
  let server: WeftProcess
  let dir: string
  const bytes = randomBytes(1024)
  let cid: string

  before(async () => {
    server = await spawnServer({ browserTransports: true })
    dir = await tempDir()
    const file = join(dir, 'one-kib')
    await writeFile(file, bytes)
    const put = await runWeft(['put', file, '-q', '--min-replicas', '1', '--bootstrap', server.multiaddrs[0]])
    assert.equal(put.code, 0, put.stderr)
    cid = put.stdout.trim()
  })
  after(async () => {
    await server?.stop()
    await removeDir(dir)
  })

  it('gets through a server\'s TCP address without loading WebRTC, WebSockets, the relay, the keychain, LevelDB or the importer', async () => {
    const tcp = server.multiaddrs.find(a => a.includes('/tcp/') && !a.includes('/ws'))
    assert.ok(tcp != null)
    const got = await runWeftPiped(['get', cid, '-q', '--bootstrap', tcp], { env: { NODE_OPTIONS: `--import ${counter}` } })
    assert.equal(got.code, 0, got.stderr)
    assert.deepEqual(got.stdout, bytes)
    const packages = loaded(got.stderr)
    // the counter does count: what the get used is there
    assert.ok(packages.includes('@libp2p/tcp') && packages.includes('@libp2p/kad-dht'), packages.join(' '))
    assert.deepEqual(NOT_FOR_A_TCP_GET.filter(p => packages.includes(p)), [])
  })

  it('runs from its bundle: a get through TCP has Node resolve no file from node_modules', async () => {
    // unbundled, the same get resolved ~600 files there one by one, most of its start-up
    // (docs/performance.md, "The bundled CLI"); the native packages the bundle leaves
    // outside (level, node-datachannel) are not among what such a get loads
    const tcp = server.multiaddrs.find(a => a.includes('/tcp/') && !a.includes('/ws'))
    assert.ok(tcp != null)
    const got = await runWeftPiped(['get', cid, '-q', '--bootstrap', tcp], { env: { NODE_OPTIONS: `--import ${counter}` } })
    assert.equal(got.code, 0, got.stderr)
    assert.match(got.stderr, /^node_modules files resolved: 0$/m)
  })

  it('still gets from a server known only by its WebSockets address, loading WebSockets to dial it', async () => {
    const ws = server.multiaddrs.find(a => WebSockets.exactMatch(multiaddr(a)))
    assert.ok(ws != null, server.multiaddrs.join(' '))
    const got = await runWeftPiped(['get', cid, '-q', '--bootstrap', ws], { env: { NODE_OPTIONS: `--import ${counter}` } })
    assert.equal(got.code, 0, got.stderr)
    assert.deepEqual(got.stdout, bytes)
    assert.ok(loaded(got.stderr).includes('@libp2p/websockets'))
  })
})
