import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { importContent } from '../src/content/import.js'
import { startTestnet, type Testnet, type TestnetServer } from '../src/testing/index.js'
import { pollUntil } from './support/status.js'
import { removeDir, runWeft, tempDir, TEST_HOST } from './support/weft-process.js'
import type { CID } from 'multiformats/cid'

const MiB = 1_048_576
const FILE_BYTES = 64 * MiB
const SERVERS = 12
/** Two servers a process: a SIGKILL of one process is a crash of two servers at once. */
const SERVERS_PER_PROCESS = 2
/** Servers lost a round: the servers of one process. */
const KILLED_PER_ROUND = SERVERS_PER_PROCESS
/** The round ends when this many of the original servers are gone. */
const ORIGINALS_LOST = 8
/** The defaults: each block at its 5 closest servers, a put succeeds once 3 keep it. */
const REPLICATION = 5
const WRITE_QUORUM = 3
/**
 * Sweeps every 1.5-2.5 s, and 1-2 s after servers join or leave (the
 * settling delay is min(5 s, interval)), instead of every 10 minutes.
 */
const REPAIR_INTERVAL_MS = 2000
/** How long one round's repair may take on a loaded 2-core machine: a few sweeps moving ~50 MiB each. */
const REPAIR_BOUND_MS = 120_000
const POLL_MS = 500
/** How long a 64 MiB put or get through the CLI may take on a loaded machine. */
const TRANSFER_BOUND_MS = 180_000

async function sha256Of (path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** Every block's CID of `bytes` as `weft put` with the default chunk size makes them, the root last. */
async function blocksOf (bytes: Uint8Array): Promise<CID[]> {
  const cids: CID[] = []
  await importContent(bytes, { put: async (cid: CID) => { cids.push(cid); return cid } })
  return cids
}

const spread = (counts: number[]): string => {
  const tally = new Map<number, number>()
  for (const c of counts) tally.set(c, (tally.get(c) ?? 0) + 1)
  return [...tally].sort((a, b) => a[0] - b[0]).map(([holders, blocks]) => `${blocks} blocks on ${holders}`).join(', ')
}

/** Polls the live servers' stores (other processes: no events to await) until every block has `least` holders, up to REPAIR_BOUND_MS. */
async function holdersAtLeast (net: Testnet, cids: string[], least: number, when: string): Promise<number[]> {
  try {
    return await pollUntil(async () => net.holderCounts(cids), counts => counts.every(c => c >= least),
      counts => `${when}: holders among the ${net.servers.length} live servers: ${spread(counts)}`,
      { timeoutMs: REPAIR_BOUND_MS, intervalMs: POLL_MS })
  } catch (err: any) {
    // what the servers refused says why repair stalled
    const refused = new Map<string, number>()
    for (const server of net.servers) {
      const refusals: Record<string, number> = (await net.status(server.peerId)).storage.guard?.refusals ?? {}
      for (const [reason, n] of Object.entries(refusals)) refused.set(reason, (refused.get(reason) ?? 0) + n)
    }
    throw new Error(`${String(err.message)}; pushes the live servers refused: ${JSON.stringify(Object.fromEntries(refused))}`, { cause: err })
  }
}

describe('churn: 8 of 12 servers replaced, two at a time, and the file survives', () => {
  let net: Testnet
  let dir: string
  let input: string
  let cid: string
  let cids: string[]
  let originals: TestnetServer[]

  before(async () => {
    dir = await tempDir('weft-churn-')
    input = join(dir, 'input.bin')
    await writeFile(input, randomBytes(FILE_BYTES))
    net = await startTestnet({
      servers: SERVERS,
      processes: SERVERS / SERVERS_PER_PROCESS,
      host: TEST_HOST,
      dataDir: join(dir, 'servers'),
      config: { storage: { repairIntervalMs: REPAIR_INTERVAL_MS } }
    })
    originals = [...net.servers]
  })

  after(async () => {
    await net?.stop()
    if (dir != null) await removeDir(dir)
  })

  it('puts 64 MiB with `weft put`, every block on its 5 closest servers', async () => {
    const put = await runWeft(['put', input, '--bootstrap', net.bootstrap])
    assert.equal(put.code, 0, put.stderr)
    cid = put.stdout.trim().split('\n').pop() ?? ''
    const blocks = await blocksOf(await readFile(input))
    assert.equal(blocks.at(-1)?.toString(), cid, 'the blocks computed here are not the ones the put made')
    cids = blocks.map(String)
    await holdersAtLeast(net, cids, REPLICATION, 'after the put')
  })

  it(`SIGKILLs ${KILLED_PER_ROUND} original servers and starts ${KILLED_PER_ROUND} empty ones, repair restoring every block to ${REPLICATION} holders each round, until ${ORIGINALS_LOST} of the ${SERVERS} are gone`, async () => {
    assert.ok(cids != null, 'the put before did not complete')
    const alive = (s: TestnetServer): boolean => net.servers.some(live => live.peerId === s.peerId)
    for (let round = 1; originals.filter(s => !alive(s)).length < ORIGINALS_LOST; round++) {
      // the process of the first original still running (never one of the newcomers)
      const victim = originals.find(alive) ?? assert.fail('no original server left')
      const lost = await net.killProcess(victim.process)
      assert.equal(lost.length, KILLED_PER_ROUND)
      assert.ok(lost.every(s => originals.includes(s)), `round ${round} killed a newcomer`)
      const added = await net.addServers(KILLED_PER_ROUND, { processes: 1 })
      assert.equal(net.servers.length, SERVERS)
      // empty when they join: whatever they hold at the end, repair gave them
      assert.ok(added.every(s => !originals.includes(s)))
      await holdersAtLeast(net, cids, REPLICATION, `round ${round}`)
    }
    assert.equal(originals.filter(alive).length, SERVERS - ORIGINALS_LOST)
  })

  it(`ends with every block kept by at least writeQuorum (${WRITE_QUORUM}) live servers (their stores, and weft verify), and every byte back through a survivor`, { timeout: TRANSFER_BOUND_MS }, async () => {
    assert.ok(cids != null, 'the put before did not complete')
    const counts = await net.holderCounts(cids)
    assert.ok(counts.every(c => c >= WRITE_QUORUM), spread(counts))
    const survivor = originals.find(s => net.servers.some(live => live.peerId === s.peerId)) ?? assert.fail('no original server left')
    // the servers asked (weft verify), not only their stores read (holderCounts)
    const verify = await runWeft(['verify', cid, '--json', '--bootstrap', survivor.multiaddrs[0]])
    assert.equal(verify.code, 0, verify.stderr)
    const verdict = JSON.parse(verify.stdout) as { ok: boolean, minHolders: number, writeQuorum: number, blocks: Array<{ cid: string }> }
    assert.equal(verdict.ok, true)
    assert.equal(verdict.writeQuorum, WRITE_QUORUM)
    assert.ok(verdict.minHolders >= WRITE_QUORUM, `weft verify: the least-held block has ${verdict.minHolders} holders`)
    assert.deepEqual(verdict.blocks.map(b => b.cid).sort(), [...cids].sort())
    const output = join(dir, 'output.bin')
    const get = await runWeft(['get', cid, '-o', output, '--bootstrap', survivor.multiaddrs[0]])
    assert.equal(get.code, 0, get.stderr)
    assert.equal(await sha256Of(output), await sha256Of(input))
  })
})
