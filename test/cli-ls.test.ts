import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { formatListing } from '../src/cli/commands/ls.js'
import { runWeft, spawnServer, tempDir, type WeftProcess } from './support/weft-process.js'
import type { ListedFile, StoreListing } from '../src/index.js'

const KiB = 1024

describe('weft ls on a running server', () => {
  let server: WeftProcess
  let dir: string
  let big: string
  let small: string

  before(async () => {
    server = await spawnServer()
    dir = await tempDir('weft-cli-ls-')
    const put = async (name: string, bytes: number): Promise<string> => {
      await writeFile(join(dir, name), randomBytes(bytes))
      const stored = await runWeft(['put', join(dir, name), '--storage.chunkSize', String(64 * KiB), '--min-replicas', '1', '--bootstrap', server.multiaddrs[0], '-q'])
      assert.equal(stored.code, 0, stored.stderr)
      return stored.stdout.trim()
    }
    big = await put('big.bin', 640 * KiB)
    small = await put('small.bin', 200 * KiB)
  })
  after(async () => { await server?.stop() })

  it('lists each file whose root it holds, largest first, with type, size, role and blocks held, then loose blocks and a total', async () => {
    const run = await runWeft(['ls', '--data', server.dataDir])
    assert.equal(run.code, 0, run.stderr)
    const lines = run.stdout.split('\n')
    assert.match(lines[0], /^CID +TYPE +SIZE +ROLE +BLOCKS HELD$/)
    // 10 leaves and a root; 4 leaves (the last one short) and a root
    assert.match(lines[1], new RegExp(`^${big} +file +640\\.0 KiB +replica +11 \\(640\\.\\d KiB\\)$`))
    assert.match(lines[2], new RegExp(`^${small} +file +200\\.0 KiB +replica +5 \\(200\\.\\d KiB\\)$`))
    assert.equal(lines[3], 'loose: 0 blocks (0 B) that no file held here reaches')
    assert.match(lines[4], /^total: 2 files; 16 blocks \(84\d\.\d KiB; 16 replica\); storage .* 16 blocks, 0 pins$/)
  })

  it('--json gives every file and count for scripts; --limit bounds the files and says how many more there are', async () => {
    const json = await runWeft(['ls', '--json', '--data', server.dataDir])
    assert.equal(json.code, 0, json.stderr)
    const listing = JSON.parse(json.stdout) as StoreListing & { storage: unknown }
    assert.deepEqual(listing.files.map(f => [f.cid, f.type, f.size, f.role, f.blocks, f.held.blocks]), [[big, 'file', 640 * KiB, 'replica', 11, 11], [small, 'file', 200 * KiB, 'replica', 5, 5]])
    assert.equal(listing.fileCount, 2)
    assert.deepEqual(listing.loose, { blocks: 0, bytes: 0, roles: {} })
    assert.equal(listing.total.blocks, 16)
    const limited = await runWeft(['ls', '--limit', '1', '--data', server.dataDir])
    assert.equal(limited.code, 0, limited.stderr)
    assert.match(limited.stdout, /\n… and 1 more file \(weft ls --limit 0 lists all, --json for scripts\)\n/)
    const bad = await runWeft(['ls', '--limit', 'some', '--data', server.dataDir])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /--limit takes a whole number of files \(0 for all\), got "some"/)
  })

  it('says so when no server runs on the data directory', async () => {
    const run = await runWeft(['ls', '--data', await tempDir()])
    assert.equal(run.code, 1)
    assert.match(run.stderr, /no server is running on .*weft start --data/)
  })
})

describe('weft ls on a server keeping 10,000 blocks', () => {
  it('prints a bounded listing: 20 files, a line for the rest, loose blocks and a total', () => {
    const file = (i: number): ListedFile => ({
      cid: `bafybei${String(i).padStart(52, 'a')}`, type: 'file', size: (10_000 - i) * 1_048_576, role: 'replica', blocks: 2, held: { blocks: 2, bytes: 2 * 1_048_576, roles: { replica: 2 } }
    })
    const files = Array.from({ length: 4000 }, (_, i) => file(i))
    const listing: StoreListing = {
      files: files.slice(0, 20),
      fileCount: files.length,
      loose: { blocks: 2000, bytes: 2000 * 1_048_576, roles: { replica: 1500, provisional: 300, cache: 200 } },
      total: { blocks: 10_000, bytes: 10_000 * 1_048_576, roles: { replica: 9500, provisional: 300, cache: 200 } }
    }
    const text = formatListing(listing, { usedBytes: 10_000 * 1_048_576, maxBytes: 2 ** 40, blocks: 10_000, pins: 0 })
    const lines = text.trimEnd().split('\n')
    assert.equal(lines.length, 1 + 20 + 3)
    assert.equal(lines[21], '… and 3,980 more files (weft ls --limit 0 lists all, --json for scripts)')
    assert.equal(lines[22], 'loose: 2,000 blocks (2.0 GiB; 1,500 replica, 300 provisional, 200 cache) that no file held here reaches')
    assert.match(lines[23], /^total: 4,000 files; 10,000 blocks \(9\.8 GiB; 9,500 replica, 300 provisional, 200 cache\); storage /)
  })
})
