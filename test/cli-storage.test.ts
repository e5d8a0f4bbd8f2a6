import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { formatDuration, formatRate, progressBar, progressLine } from '../src/cli/progress.js'
import { formatBytes } from '../src/format-bytes.js'
import { repairLine, storageLine } from '../src/cli/commands/status.js'
import { runWeft, runWeftPiped, spawnNetwork, tempDir, TEST_HOST, WEFT_BIN, type WeftProcess } from './support/weft-process.js'

const MiB = 1_048_576

function sha256Hex (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/**
 * A TCP listener that records whether anyone connected. It hangs up at once,
 * or (`silent`) keeps the connection open and never answers.
 */
async function listener (silent = false): Promise<{ server: Server, port: number, connections: () => number, connected: (signal: AbortSignal) => Promise<void>, close: () => void }> {
  const sockets: Socket[] = []
  const server = createServer(socket => {
    sockets.push(socket)
    if (silent) socket.on('error', () => {})
    else socket.destroy()
  })
  await new Promise<void>(resolve => server.listen(0, TEST_HOST, resolve))
  return {
    server,
    port: (server.address() as AddressInfo).port,
    connections: () => sockets.length,
    // resolves once anyone has connected, or when `signal` aborts: the caller checks `connections()`
    connected: async (signal: AbortSignal) => {
      if (sockets.length === 0) await once(server, 'connection', { signal }).catch(() => {})
    },
    close: () => { server.close(); sockets.forEach(s => s.destroy()) }
  }
}

async function closedPort (): Promise<number> {
  const { server, port } = await listener()
  await new Promise(resolve => server.close(resolve))
  return port
}

describe('weft put/get/status (the command line against a network)', () => {
  let servers: WeftProcess[]
  let stopNetwork: () => Promise<void>
  let bootstrap: string[]
  let dir: string

  before(async () => {
    const network = await spawnNetwork(3)
    servers = network.servers
    stopNetwork = network.stop
    bootstrap = ['--bootstrap', servers[0].multiaddrs[0]]
    dir = await tempDir('weft-cli-storage-')
  })
  after(async () => { await stopNetwork?.() })

  it('put stores a file and prints its CID; get -o from another invocation gives the same bytes', async () => {
    const content = randomBytes(3 * MiB + 123)
    const input = join(dir, 'input.bin')
    await writeFile(input, content)

    const stored = await runWeft(['put', input, ...bootstrap])
    assert.equal(stored.code, 0, stored.stderr)
    // piped, stdout is exactly the CID line
    const lines = stored.stdout.split('\n')
    assert.equal(lines.length, 2, stored.stdout)
    assert.equal(lines[1], '')
    const cid = CID.parse(lines[0])
    // three servers, quorum 3: every block on all three, each byte sent once (5 blocks: 3 MiB and 123 bytes)
    assert.match(stored.stderr, /^stored 3\.0 MiB in 5 blocks, 3 replicas each \(\d+(\.\d)? (s|min \d+ s), [\d.]+ [KMG]?i?B\/s, 3\.0 MiB sent\)\n$/)

    const output = join(dir, 'output.bin')
    const fetched = await runWeft(['get', cid.toString(), '-o', output, ...bootstrap])
    assert.equal(fetched.code, 0, fetched.stderr)
    assert.equal(fetched.stdout, '')
    assert.equal(fetched.stderr.split('(')[0], `fetched 3.0 MiB to ${output} `)
    assert.equal(sha256Hex(await readFile(output)), sha256Hex(content))
    assert.equal(existsSync(`${output}.partial`), false)

    // a range, and the same bytes give the same CID whichever way they come in
    const range = await runWeftPiped(['get', cid.toString(), '--offset', String(MiB - 10), '--length', '5000', ...bootstrap])
    assert.equal(range.code, 0, range.stderr)
    assert.equal(sha256Hex(range.stdout), sha256Hex(content.subarray(MiB - 10, MiB - 10 + 5000)))
    const again = await runWeftPiped(['put', '-', '--quiet', ...bootstrap], { inputFile: input })
    assert.equal(again.code, 0, again.stderr)
    assert.equal(again.stdout.toString(), `${cid.toString()}\n`)
    assert.equal(again.stderr, '', '--quiet prints no summary')
  })

  it('put asking for more replicas than the network has servers exits 1, naming the quorum and the servers found, even with -q', async () => {
    const input = join(dir, 'five-wanted.bin')
    await writeFile(input, randomBytes(1000))
    const stored = await runWeft(['put', input, '-q', '--storage.replication', '5', '--storage.write-quorum', '5', ...bootstrap])
    assert.equal(stored.code, 1, stored.stderr)
    assert.equal(stored.stdout, '', 'no CID for a put that failed')
    assert.match(stored.stderr, /^weft: QuorumNotReachedError: write quorum 5 needs 5 servers, 3 found: 1 block\(s\) short \(\w+: 3\); store on fewer with --min-replicas 3 .*\n$/)
    assert.equal(stored.stderr.split('\n').length, 2, 'with -q, the error line alone')
  })

  it('put --min-replicas N stores on fewer servers than the quorum on purpose, exits 0 and says how many each block got', async () => {
    const input = join(dir, 'three-will-do.bin')
    await writeFile(input, randomBytes(MiB + 1000))
    const stored = await runWeft(['put', input, '--min-replicas', '3', '--storage.replication', '5', '--storage.write-quorum', '5', ...bootstrap])
    assert.equal(stored.code, 0, stored.stderr)
    CID.parse(stored.stdout.trim())
    assert.match(stored.stderr, /^stored 1\.0 MiB in 3 blocks, 3 replicas each, fewer than the write quorum 5 as --min-replicas 3 allows \(/)
    const wrong = await runWeft(['put', input, '--min-replicas', '0', ...bootstrap])
    assert.equal(wrong.code, 2)
    assert.equal(wrong.stderr, 'weft: UsageError: --min-replicas must be a whole number of at least 1, got "0"\n')
  })

  it('put of a file the network keeps already sends none of its bytes, and says so', async () => {
    const input = join(dir, 'twice.bin')
    await writeFile(input, randomBytes(2 * MiB + 5))
    const first = await runWeft(['put', input, ...bootstrap])
    assert.equal(first.code, 0, first.stderr)
    assert.match(first.stderr, /, 2\.0 MiB sent\)\n$/)
    const second = await runWeft(['put', input, ...bootstrap])
    assert.equal(second.code, 0, second.stderr)
    assert.equal(second.stdout, first.stdout)
    assert.match(second.stderr, /^stored 2\.0 MiB in 4 blocks, 3 replicas each \(.*, 0 B sent, all already stored\)\n$/)
  })

  it('put - stores stdin; get to a pipe writes the same bytes to stdout', async () => {
    const content = randomBytes(2 * MiB + 7)
    const stored = await runWeftPiped(['put', '-', ...bootstrap], { input: content })
    assert.equal(stored.code, 0, stored.stderr)
    const cid = stored.stdout.toString().trim()
    assert.match(stored.stderr, /^stored 2\.0 MiB in 4 blocks/)

    const fetched = await runWeftPiped(['get', cid, ...bootstrap])
    assert.equal(fetched.code, 0, fetched.stderr)
    assert.equal(fetched.stdout.byteLength, content.byteLength)
    assert.equal(sha256Hex(fetched.stdout), sha256Hex(content))
    // no progress bar when stderr is not a terminal: only the summary
    assert.match(fetched.stderr, /^fetched 2\.0 MiB \([^)]+\)\n$/)
  })

  it('get --timings says where its time went: load, node, join, first byte, transfer, each in ms, and peak RSS', async () => {
    const content = randomBytes(MiB + 5)
    const stored = await runWeftPiped(['put', '-', '-q', ...bootstrap], { input: content })
    assert.equal(stored.code, 0, stored.stderr)
    const fetched = await runWeftPiped(['get', stored.stdout.toString().trim(), '--timings', ...bootstrap])
    assert.equal(fetched.code, 0, fetched.stderr)
    assert.equal(sha256Hex(fetched.stdout), sha256Hex(content))
    const line = /^timings: load (\d+) ms, node (\d+) ms, join (\d+) ms, first byte (\d+) ms, transfer (\d+) ms \(total (\d+) ms, cpu \d+ ms, peak RSS [\d.]+ MiB\)$/m.exec(fetched.stderr)
    assert.ok(line != null, fetched.stderr)
    const [load, node, join, first, transfer, total] = line.slice(1).map(Number)
    assert.ok(load + node + join + first + transfer <= total, `the phases (${line[0]}) fit in the total`)
  })

  it('get of a malformed CID exits 2 with InvalidCIDError naming it, without touching the network', async () => {
    const { server, port, connections } = await listener()
    try {
      const fake = `/ip4/${TEST_HOST}/tcp/${port}/p2p/${servers[0].peerId}`
      const { code, stdout, stderr } = await runWeft(['get', 'not-a-cid', '--bootstrap', fake])
      assert.equal(code, 2)
      assert.equal(stdout, '')
      assert.match(stderr, /^weft: InvalidCIDError: "not-a-cid" is not a valid CID/)
      assert.equal(connections(), 0)
    } finally {
      server.close()
    }
  })

  it('get of a CID nobody has exits 1 with BlockNotFoundError in bounded time and leaves no file', async () => {
    const cid = CID.createV1(raw.code, await sha256.digest(randomBytes(64)))
    const output = join(dir, 'missing.bin')
    const started = Date.now()
    const { code, stderr } = await runWeft(['get', cid.toString(), '-o', output, '--storage.fetch-timeout-ms', '3000', ...bootstrap])
    assert.equal(code, 1)
    assert.match(stderr, new RegExp(`^weft: BlockNotFoundError: block ${cid.toString()} was not found`))
    assert.ok(Date.now() - started < 20_000, `took ${Date.now() - started} ms`)
    assert.equal(existsSync(output), false)
    assert.equal(existsSync(`${output}.partial`), false)
  })

  it('put of a missing file names the path and exits 1', async () => {
    const missing = join(dir, 'no-such-file.bin')
    const { code, stdout, stderr } = await runWeft(['put', missing, ...bootstrap])
    assert.equal(code, 1)
    assert.equal(stdout, '')
    assert.equal(stderr, `weft: cannot read ${JSON.stringify(missing)}: no such file\n`)
  })

  it('put without a bootstrap peer exits 2 saying to pass --bootstrap', async () => {
    const input = join(dir, 'small.txt')
    await writeFile(input, 'hello')
    const { code, stdout, stderr } = await runWeft(['put', input])
    assert.equal(code, 2)
    assert.equal(stdout, '')
    assert.match(stderr, /^weft: UsageError: no bootstrap peer .*pass --bootstrap MULTIADDR/)
  })

  it('put through an unreachable bootstrap peer names the address and why', async () => {
    const input = join(dir, 'small.txt')
    await writeFile(input, 'hello')
    const dead = `/ip4/${TEST_HOST}/tcp/${await closedPort()}/p2p/${servers[0].peerId}`
    const { code, stdout, stderr } = await runWeft(['put', input, '--bootstrap', dead])
    assert.equal(code, 1)
    assert.equal(stdout, '')
    assert.match(stderr, new RegExp(`^weft: cannot reach any bootstrap peer: ${dead}: \\S+`))
  })

  it('SIGINT stops a put and a get cleanly: exit 130, "interrupted", no partial file', async () => {
    // a put whose stdin never ends, and a get whose bootstrap peer accepts
    // the connection but never answers
    const silent = await listener(true)
    const putting = spawn(process.execPath, [WEFT_BIN, 'put', '-', ...bootstrap], { stdio: ['pipe', 'pipe', 'pipe'] })
    putting.stdin.on('error', () => {})
    // the pipe holds 64 KiB: the write completes once put is reading its input, after joining
    const putReading = new Promise(resolve => putting.stdin.write(randomBytes(3 * MiB), resolve))
    const output = join(dir, 'interrupted.bin')
    const cid = CID.createV1(raw.code, await sha256.digest(randomBytes(64)))
    const getting = spawn(process.execPath, [WEFT_BIN, 'get', cid.toString(), '-o', output, '--connections.dial-timeout-ms', '60000',
      '--bootstrap', `/ip4/${TEST_HOST}/tcp/${silent.port}/p2p/${servers[0].peerId}`], { stdio: ['ignore', 'pipe', 'pipe'] })
    try {
      const results = [putting, getting].map(async child => {
        let stderr = ''
        child.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
        const code = await new Promise<number | null>(resolve => child.on('close', resolve))
        return { code, stderr }
      })
      await putReading
      // get dials its bootstrap peer after opening its output
      await silent.connected(AbortSignal.timeout(30_000))
      assert.equal(silent.connections(), 1, 'get is joining')
      assert.ok(existsSync(`${output}.partial`), 'get has opened its output')
      const interrupted = Date.now()
      putting.kill('SIGINT')
      getting.kill('SIGINT')
      for (const { code, stderr } of await Promise.all(results)) {
        assert.equal(code, 130, stderr)
        assert.equal(stderr, 'weft: interrupted\n')
      }
      assert.ok(Date.now() - interrupted < 8000, `took ${Date.now() - interrupted} ms to stop`)
      assert.equal(existsSync(output), false)
      assert.equal(existsSync(`${output}.partial`), false)
    } finally {
      putting.kill('SIGKILL')
      getting.kill('SIGKILL')
      silent.close()
    }
  })

  it('status shows a running server\'s PeerId, peers and storage; --json gives the raw status', async () => {
    const url = servers[0].httpUrl
    assert.ok(url != null)
    const shown = await runWeft(['status', '--url', url])
    assert.equal(shown.code, 0, shown.stderr)
    assert.match(shown.stdout, new RegExp(`^PeerId +${servers[0].peerId}$`, 'm'))
    assert.match(shown.stdout, /^role +server$/m)
    assert.match(shown.stdout, /^connections +\d+ \(tcp \d+\)$/m)
    assert.match(shown.stdout, /^routing table +[1-9]\d* peers?$/m)
    assert.match(shown.stdout, /^storage +\d+(\.\d)? [KMGT]?i?B of 10\.0 GiB \((<1|\d+) %\), [\d,]+ blocks?, [\d,]+ pins?$/m)

    const json = await runWeft(['status', '--url', url, '--json'])
    assert.equal(json.code, 0, json.stderr)
    const status = JSON.parse(json.stdout)
    assert.equal(status.peerId, servers[0].peerId)
    assert.equal(typeof status.storage.usedBytes, 'number')
  })

  it('status says so when no server answers', async () => {
    const url = `http://${TEST_HOST}:${await closedPort()}/`
    const { code, stdout, stderr } = await runWeft(['status', '--url', url])
    assert.equal(code, 1)
    assert.equal(stdout, '')
    assert.match(stderr, new RegExp(`^weft: no weft server answers at ${url.replace(/[.]/g, '\\.')}: ECONNREFUSED`))
  })
})

describe('weft progress output', () => {
  it('formats sizes, rates and durations', () => {
    assert.equal(formatBytes(512), '512 B')
    assert.equal(formatBytes(1536), '1.5 KiB')
    assert.equal(formatBytes(50 * MiB), '50.0 MiB')
    assert.equal(formatRate(50 * MiB, 3200), '15.6 MiB/s')
    assert.equal(formatDuration(3200), '3.2 s')
    assert.equal(storageLine({ usedBytes: 1.2 * 1024 * MiB, maxBytes: 10 * 1024 * MiB, blocks: 1234, pins: 3 }), '1.2 GiB of 10.0 GiB (12 %), 1,234 blocks, 3 pins')
    const repair = { sweeps: 3, running: false, lastSweepAt: 1_000_000, lastSweepMs: 1300, blocksChecked: 1234, pushed: 5, released: 2, failures: 1, lookups: 4 }
    assert.equal(repairLine(repair, 1_125_000), 'last sweep 2 min 5 s ago (1.3 s); 1,234 blocks checked, 5 pushed, 2 released, 1 failure, 4 lookups since start')
    assert.equal(repairLine({ ...repair, sweeps: 0, running: true, lastSweepAt: undefined }, 0), 'sweeping now; no sweep finished yet')
  })

  it('draws on a terminal at most 10 times a second, and clears itself', () => {
    let clock = 0
    const written: string[] = []
    const bar = progressBar({ write: text => { written.push(String(text)) } }, { label: 'get', total: 100, enabled: true, now: () => clock })
    for (let done = 0; done <= 100; done++) {
      clock += 10
      bar.update(done)
    }
    bar.finish()
    // 1010 ms of updates every 10 ms: a redraw per 100 ms, then the clearing
    assert.equal(written.length, 11 + 1)
    assert.ok(written.slice(0, -1).every(w => w.startsWith('\r') && w.endsWith('\x1b[K')))
    assert.equal(written.at(-1), '\r\x1b[K')
    assert.equal(progressLine('get', 50, 100, 1000), 'get [############------------]  50 B / 100 B  50 %  50 B/s')
  })

  it('writes nothing when not enabled (stderr not a terminal, or --quiet)', () => {
    const written: string[] = []
    const bar = progressBar({ write: text => { written.push(String(text)) } }, { label: 'put', enabled: false })
    bar.update(10)
    bar.finish()
    assert.deepEqual(written, [])
  })
})
