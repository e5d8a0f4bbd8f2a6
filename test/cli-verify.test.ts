import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { CID } from 'multiformats/cid'
import { statusWhen } from './support/status.js'
import { runWeft, spawnNetwork, spawnServer, tempDir, type WeftProcess } from './support/weft-process.js'

const MiB = 1_048_576

/** What `weft verify --json` prints of one block. */
interface BlockJson { cid: string, holders: number, servers: string[], asked: number, failed: string[] }

describe('weft verify (how many servers keep each block, asked)', () => {
  let servers: WeftProcess[]
  let stopNetwork: () => Promise<void>
  let bootstrap: string[]
  let dir: string
  let cid: string

  before(async () => {
    const network = await spawnNetwork(3)
    servers = network.servers
    stopNetwork = network.stop
    bootstrap = ['--bootstrap', servers[0].multiaddrs[0]]
    dir = await tempDir('weft-cli-verify-')
    const input = join(dir, 'file.bin')
    // 4 leaves and a root
    await writeFile(input, randomBytes(3 * MiB + 123))
    const stored = await runWeft(['put', input, ...bootstrap])
    assert.equal(stored.code, 0, stored.stderr)
    cid = stored.stdout.trim()
  })
  after(async () => { await stopNetwork?.() })

  it('reports every block on all three servers and exits 0; --json names each block\'s holders', async () => {
    const shown = await runWeft(['verify', cid, ...bootstrap])
    assert.equal(shown.code, 0, shown.stderr)
    assert.equal(shown.stdout, '')
    assert.equal(shown.stderr, `${cid}: 5 blocks, every one on at least 3 servers (3 on 5); write quorum 3\n`)

    const json = await runWeft(['verify', cid, '--json', '-q', ...bootstrap])
    assert.equal(json.code, 0, json.stderr)
    assert.equal(json.stderr, '', '-q: no summary')
    const result = JSON.parse(json.stdout)
    assert.deepEqual({ cid: result.cid, ok: result.ok, writeQuorum: result.writeQuorum, minHolders: result.minHolders, short: result.short }, { cid, ok: true, writeQuorum: 3, minHolders: 3, short: 0 })
    assert.equal(result.blocks[0].cid, cid, 'the root first')
    assert.equal(result.blocks.length, 5)
    const ids = servers.map(s => s.peerId).sort()
    for (const block of result.blocks as BlockJson[]) {
      CID.parse(block.cid)
      assert.deepEqual([...block.servers].sort(), ids, block.cid)
    }
  })

  it('with one of the three servers stopped: verify reports the shortfall and exits 1, and a put exits 1 naming its short blocks', async (t) => {
    await servers[2].stop()
    const shown = await runWeft(['verify', cid, '--json', ...bootstrap])
    t.diagnostic(shown.stderr.trim())
    assert.equal(shown.code, 1, shown.stderr)
    const lines = shown.stderr.trimEnd().split('\n')
    assert.equal(lines[0], `${cid}: 5 blocks, 5 below the write quorum 3 (2 on 5)`)
    assert.equal(lines.length, 6, shown.stderr)
    for (const line of lines.slice(1)) assert.match(line, /^short block \w+: 2 of \d+ asked keep it: \w+, \w+/)
    const result = JSON.parse(shown.stdout)
    assert.equal(result.ok, false)
    assert.equal(result.short, 5)
    for (const block of result.blocks as BlockJson[]) {
      assert.equal(block.holders, 2, block.cid)
      assert.ok(!block.servers.includes(servers[2].peerId), 'a stopped server holds nothing')
    }

    // as the issue tried it: one of three servers stopped, default quorum 3
    const input = join(dir, 'after-stop.bin')
    await writeFile(input, randomBytes(MiB + 10))
    const stored = await runWeft(['put', input, ...bootstrap])
    t.diagnostic(stored.stderr.trim())
    assert.equal(stored.code, 1, stored.stderr)
    assert.equal(stored.stdout, '', 'no CID for a put that failed')
    const putLines = stored.stderr.trimEnd().split('\n')
    assert.match(putLines.at(-1) ?? '', /^weft: QuorumNotReachedError: write quorum 3 (needs 3 servers, 2 found: 3 block\(s\) short|not reached for 3 block\(s\))/)
    assert.equal(putLines.filter(l => /^short block \w+: 2 replicas; /.test(l)).length, 3, stored.stderr)
  })
})

describe('a put past a server that refuses (its disk full)', () => {
  let servers: WeftProcess[] = []

  after(async () => { await Promise.all(servers.map(async s => s.stop())) })

  it('succeeds on the others, and verify finds the blocks the full server could not take on three servers, the root on four', async (t) => {
    const network = await spawnNetwork(3)
    // room for a root block, not for a 1 MiB leaf
    const full = await spawnServer({ http: true, bootstrap: [network.servers[0].multiaddrs[0]], args: ['--storage.max-bytes', String(64 * 1024)] })
    servers = [...network.servers, full]
    await statusWhen(network.servers[0], s => s.routingTableSize >= 3)
    const bootstrap = ['--bootstrap', servers[0].multiaddrs[0]]
    const input = join(await tempDir('weft-cli-full-'), 'file.bin')
    // 3 leaves of 1 MiB and a root, each wanted on all 4 servers
    await writeFile(input, randomBytes(3 * MiB))
    const stored = await runWeft(['put', input, ...bootstrap])
    t.diagnostic(stored.stderr.trim())
    assert.equal(stored.code, 0, stored.stderr)
    const lines = stored.stderr.trimEnd().split('\n')
    // where the full server was a block's closest, the uploader saw its refusal; elsewhere a
    // first holder's push on failed, or was still being made when the put returned
    assert.match(lines[0], /^stored 3\.0 MiB in 4 blocks, (3 replicas each|3-4 replicas \(4 on 1 block, 3 on 3\))/)
    for (const line of lines.slice(1)) assert.match(line, new RegExp(`^short block \\w+: 3 replicas; ${full.peerId}: (quota \\(|refused or failed the push on from \\w+$)`))

    // the pushes on have reached the full server: it took the root
    await statusWhen(full, s => s.storage.blocks >= 1)
    const cid = stored.stdout.trim()
    const verified = await runWeft(['verify', cid, ...bootstrap])
    assert.equal(verified.code, 0, verified.stderr)
    assert.equal(verified.stderr, `${cid}: 4 blocks, every one on at least 3 servers (4 on 1, 3 on 3); write quorum 3\n`)
  })
})
