import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { blockFiles } from './support/block-files.js'
import { pollUntil, statusWhen } from './support/status.js'
import { removeDir, runWeft, spawnNetwork, spawnServer, tempDir, WEFT_BIN, type WeftProcess } from './support/weft-process.js'
import type { NodeStatus } from '../src/index.js'

const MiB = 1_048_576
const FILE_BYTES = 64 * MiB
/** Every server keeps every block: 3 servers, 3 replicas; sweeps every 2-3 s instead of every 10 minutes. */
const SERVER_ARGS = ['--storage.replication', '3', '--storage.repair-interval-ms', '2000']
const CLIENT_ARGS = ['--storage.replication', '3', '--storage.write-quorum', '3']
/** How long a 64 MiB transfer may take on a loaded 2-core machine. */
const TRANSFER_BOUND_MS = 180_000

async function sha256Of (path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** A `weft` command run in the background, to be awaited (or killed) later. */
function startWeft (args: string[]): { exited: Promise<number | null>, kill: () => void, stderr: () => string } {
  const child = spawn(process.execPath, [WEFT_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  child.stdout.resume()
  const exited = new Promise<number | null>(resolve => child.on('exit', resolve))
  return { exited, kill: () => { child.kill('SIGTERM') }, stderr: () => stderr }
}

async function sigkill (server: WeftProcess): Promise<void> {
  const exited = new Promise(resolve => server.process.once('exit', resolve))
  server.process.kill('SIGKILL')
  await exited
}

/** Polls a server's status until `done`, failing with the last one after TRANSFER_BOUND_MS. */
async function storageWhen (server: WeftProcess, done: (storage: NodeStatus['storage']) => boolean): Promise<NodeStatus['storage']> {
  return (await statusWhen(server, status => done(status.storage), TRANSFER_BOUND_MS)).storage
}

/** The server's accounting is what its data directory holds, every file hashing to its name, nothing half-written. */
async function assertConsistent (server: WeftProcess): Promise<void> {
  const storage = (await statusWhen(server, () => true)).storage
  const disk = await blockFiles(server.dataDir)
  assert.deepEqual(disk.temporaries, [], 'temporary files left after the start-up check')
  assert.deepEqual(disk.mismatched, [], 'block files that do not hash to their CID')
  assert.equal(storage.blocks, disk.files.length, 'blocks in the status against block files on disk')
  assert.equal(storage.usedBytes, disk.bytes, 'bytes used in the status against bytes on disk')
}

describe('a server killed with SIGKILL restarts on its data directory with a consistent store', () => {
  let network: Awaited<ReturnType<typeof spawnNetwork>>
  let victim: WeftProcess
  let restarted: WeftProcess | undefined
  let newcomer: WeftProcess | undefined
  let dir: string
  let input: string
  let cid: string

  before(async () => {
    dir = await tempDir('weft-crash-')
    input = join(dir, 'input.bin')
    await writeFile(input, randomBytes(FILE_BYTES))
    network = await spawnNetwork(3, { args: SERVER_ARGS, http: true })
    victim = network.servers[2]
  })

  after(async () => {
    await newcomer?.stop()
    await restarted?.stop()
    await network?.stop()
    await removeDir(dir)
    for (const server of [...(network?.servers ?? []), ...(newcomer != null ? [newcomer] : [])]) await removeDir(server.dataDir)
  })

  it('killed while taking a 64 MiB put: restarts consistent, and the put retried completes on every server', async () => {
    const bootstrap = ['--bootstrap', network.servers[0].multiaddrs[0]]
    const first = startWeft(['put', input, '--quiet', ...CLIENT_ARGS, ...bootstrap])
    // in the middle: some of the file arrived, not all of it
    const midway = await storageWhen(victim, s => s.usedBytes >= 8 * MiB)
    assert.ok(midway.usedBytes < FILE_BYTES, `the victim had ${midway.usedBytes} bytes before it was killed: the put was over`)
    await sigkill(victim)
    // interrupted too (a put short of its quorum takes a while to give up): the retry sends the rest
    first.kill()
    await first.exited

    restarted = await spawnServer({ dataDir: victim.dataDir, bootstrap: [network.servers[0].multiaddrs[0]], args: SERVER_ARGS, http: true })
    assert.equal(restarted.peerId, victim.peerId)
    await assertConsistent(restarted)

    const again = await runWeft(['put', input, ...CLIENT_ARGS, ...bootstrap])
    assert.equal(again.code, 0, again.stderr)
    assert.match(again.stderr, /3 replicas each/)
    cid = again.stdout.trim().split('\n').pop() ?? ''
    // 64 leaves of 1 MiB and the root: all of them on the restarted server too
    await storageWhen(restarted, s => s.blocks === 65)
    await assertConsistent(restarted)
  })

  it('killed while serving a get: restarts consistent and serves the whole file alone, byte-identical', async () => {
    assert.ok(cid !== '', 'the put before did not complete')
    const server = restarted ?? assert.fail()
    // the others leave, so the get in progress is served by this server alone
    await Promise.all(network.servers.filter(s => s !== victim).map(async s => s.stop()))
    const partial = join(dir, 'cut.bin')
    const cut = startWeft(['get', cid, '-o', partial, '--bootstrap', server.multiaddrs[0]])
    await pollUntil(async () => (await stat(`${partial}.partial`).catch(() => undefined))?.size ?? 0,
      size => size >= 8 * MiB, size => `the get had written ${size} bytes`, { timeoutMs: TRANSFER_BOUND_MS, intervalMs: 50 })
    await sigkill(server)
    cut.kill()
    await cut.exited

    restarted = await spawnServer({ dataDir: victim.dataDir, args: SERVER_ARGS, http: true })
    await assertConsistent(restarted)
    assert.equal((await statusWhen(restarted, () => true)).storage.blocks, 65)

    const output = join(dir, 'output.bin')
    const fetched = await runWeft(['get', cid, '-o', output, '--bootstrap', restarted.multiaddrs[0]])
    assert.equal(fetched.code, 0, fetched.stderr)
    assert.equal(await sha256Of(output), await sha256Of(input))
  })

  it('killed while sweeping (pushing replicas to a newcomer): restarts consistent, and the newcomer ends up whole', async () => {
    const sweeper = restarted ?? assert.fail()
    newcomer = await spawnServer({ bootstrap: [sweeper.multiaddrs[0]], args: SERVER_ARGS, http: true })
    // the sweeper, alone with the file, pushes all of it to the newcomer: kill it half-way
    const midway = await storageWhen(newcomer, s => s.usedBytes >= 8 * MiB)
    assert.ok(midway.usedBytes < FILE_BYTES, `the newcomer had ${midway.usedBytes} bytes before the sweeper was killed: the sweep was over`)
    await sigkill(sweeper)

    restarted = await spawnServer({ dataDir: victim.dataDir, bootstrap: [newcomer.multiaddrs[0]], args: SERVER_ARGS, http: true })
    await assertConsistent(restarted)
    assert.equal((await statusWhen(restarted, () => true)).storage.blocks, 65)
    await storageWhen(newcomer, s => s.blocks === 65)
    await assertConsistent(newcomer)
  })
})
