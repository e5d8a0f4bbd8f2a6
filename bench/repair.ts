// Issue 12's repair row: a server holding `blocks` replicas in a testnet of
// `servers` leaves; timed until every one of those blocks is back at
// `replication` holders among the servers left, with the lookups and pushes
// the other servers' repair sweeps cost. The blocks are seeded straight into
// the stores of their true XOR-closest servers (as placement would have put
// them), so the row measures repair, not a put of 10,000 blocks.
import { createHash } from 'node:crypto'
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'
import { knownPeers, trueClosest } from '../src/testing/closest.js'
import { seededBlock } from '../src/testing/seeded-blocks.js'
import { lastLine, runCli } from './cli-run.js'
import { randomFile } from './random-file.js'
import { onTestnet, processesFor } from './testnet-row.js'
import type { Testnet } from '../src/testing/testnet.js'
import type { Section } from './report.js'

/** storage.replication's default. */
export const REPLICATION = 5

/** Bytes per seeded block: small, so 10,000 of them fit anywhere; the bytes repair moves are pushes × this. */
export const REPAIR_BLOCK_BYTES = 4096

/** How long repair may take before the row gives up. */
const REPAIR_LIMIT_MS = 20 * 60_000

const POLL_MS = 5_000

/** The file foreground gets fetch while repair runs, and how long one may take. */
export const FOREGROUND_BYTES = 16 * 2 ** 20
const CLI_LIMIT_MS = 300_000

/** Foreground gets before the server leaves, to compare those during repair against. */
const IDLE_GETS = 2

/** At most this many foreground gets while repair runs. */
const REPAIR_GETS = 5

export interface RepairFigure {
  servers: number
  processes: number
  blocks: number
  status: 'ok' | 'failed'
  seedMs?: number
  /** From the server's leave until every block had REPLICATION holders again. */
  repairMs?: number
  /** Blocks still short when the row ended (0 when it finished). */
  short?: number
  /** Summed over the servers left, during repair. */
  lookups?: number
  pushed?: number
  sweeps?: number
  blocksChecked?: number
  /** `weft get` of FOREGROUND_BYTES (fresh CLI processes, ms each) with no repair running, and while repair pushed. */
  getsIdleMs?: number[]
  getsDuringRepairMs?: number[]
  /** The same gets once repair finished: the control on a machine whose load moves. */
  getsAfterRepairMs?: number[]
  error?: string
}

interface Totals { lookups: number, pushed: number, sweeps: number, blocksChecked: number }

async function repairTotals (net: Testnet): Promise<Totals> {
  const totals: Totals = { lookups: 0, pushed: 0, sweeps: 0, blocksChecked: 0 }
  for (const server of net.servers) {
    const repair = (await net.status(server.peerId)).storage.repair
    if (repair == null) continue
    totals.lookups += repair.lookups
    totals.pushed += repair.pushed
    totals.sweeps += repair.sweeps
    totals.blocksChecked += repair.blocksChecked
  }
  return totals
}

/** How many of `cids` have fewer than REPLICATION holders among the running servers. */
async function shortBlocks (net: Testnet, cids: string[]): Promise<number> {
  return (await net.holderCounts(cids)).filter(c => c < REPLICATION).length
}

/** Seeds `blocks` blocks of which one server is among the REPLICATION closest, stops that server, and times the repair. */
export async function measureRepair (servers: number, blocks: number, tmpDir: string, log: (line: string) => void): Promise<RepairFigure> {
  const figure: RepairFigure = { servers, processes: processesFor(servers), blocks, status: 'failed' }
  return onTestnet(figure, servers, tmpDir, async net => {
    const victim = net.servers[servers - 1]
    const file = await randomFile(tmpDir, FOREGROUND_BYTES)
    const put = await runCli(['put', file.path, '--bootstrap', net.servers[0].multiaddrs[0]], CLI_LIMIT_MS)
    await rm(file.path, { force: true })
    if (put.code !== 0) throw new Error(`weft put of the foreground file exited ${String(put.code)}: ${lastLine(put.stderr)}`)
    const foreground = async (): Promise<number> => foregroundGet(put.stdout.trim(), net.servers[1].multiaddrs[0], file.sha256, tmpDir)
    figure.getsIdleMs = []
    for (let i = 0; i < IDLE_GETS; i++) figure.getsIdleMs.push(await foreground())
    const all = await knownPeers(net.servers.map(s => peerIdFromString(s.peerId)))
    const seed = `repair-${Date.now()}`
    const perServer = new Map<string, number[]>()
    const cids: string[] = []
    const seedStarted = performance.now()
    for (let index = 0; cids.length < blocks; index++) {
      const { cid } = await seededBlock(seed, index, REPAIR_BLOCK_BYTES)
      const set = (await trueClosest(cid.multihash.bytes, all, REPLICATION)).map(String)
      if (!set.includes(victim.peerId)) continue
      cids.push(cid.toString())
      for (const holder of set) {
        const indices = perServer.get(holder) ?? []
        indices.push(index)
        perServer.set(holder, indices)
      }
    }
    await Promise.all([...perServer].map(async ([peerId, indices]) => net.seed(peerId, { seed, size: REPAIR_BLOCK_BYTES, indices })))
    figure.seedMs = performance.now() - seedStarted
    log(`repair: ${blocks} blocks seeded on their ${REPLICATION} closest of ${servers} servers in ${(figure.seedMs / 1000).toFixed(0)} s; stopping ${victim.peerId}`)
    await net.stopServer(victim.peerId)
    const before = await repairTotals(net)
    const started = performance.now()
    figure.getsDuringRepairMs = []
    let short = await shortBlocks(net, cids)
    while (short > 0 && performance.now() - started < REPAIR_LIMIT_MS) {
      // a get counts as foreground beside repair only when pushes went on while it ran
      if (figure.getsDuringRepairMs.length < REPAIR_GETS) {
        const pushedBefore = (await repairTotals(net)).pushed
        const ms = await foreground()
        if ((await repairTotals(net)).pushed > pushedBefore) figure.getsDuringRepairMs.push(ms)
      } else {
        await new Promise(resolve => setTimeout(resolve, POLL_MS))
      }
      short = await shortBlocks(net, cids)
    }
    figure.repairMs = performance.now() - started
    figure.short = short
    figure.getsAfterRepairMs = []
    if (short === 0) for (let i = 0; i < IDLE_GETS; i++) figure.getsAfterRepairMs.push(await foreground())
    const after = await repairTotals(net)
    figure.lookups = after.lookups - before.lookups
    figure.pushed = after.pushed - before.pushed
    figure.sweeps = after.sweeps - before.sweeps
    figure.blocksChecked = after.blocksChecked - before.blocksChecked
    if (short > 0) throw new Error(`${short} of ${blocks} blocks still short of ${REPLICATION} holders after ${REPAIR_LIMIT_MS / 60_000} min`)
  })
}

/** `weft get` of the foreground file as a fresh process through `via`; its time, after checking the bytes. */
async function foregroundGet (cid: string, via: string, sha256: string, tmpDir: string): Promise<number> {
  const out = join(tmpDir, 'foreground.bin')
  try {
    const get = await runCli(['get', cid, '-o', out, '--bootstrap', via], CLI_LIMIT_MS)
    if (get.code !== 0) throw new Error(`foreground weft get exited ${String(get.code)}: ${lastLine(get.stderr)}`)
    if (createHash('sha256').update(await readFile(out)).digest('hex') !== sha256) throw new Error('foreground weft get returned different bytes')
    return get.ms
  } finally {
    await rm(out, { force: true })
  }
}

function seconds (ms: number[] | undefined): string {
  return ms == null || ms.length === 0 ? '–' : ms.map(m => (m / 1000).toFixed(1)).join(', ')
}

export function repairSection (figure: RepairFigure): Section {
  return {
    id: 'repair',
    title: `8. Repair: a server holding ${figure.blocks} replicas leaves a testnet of ${figure.servers} servers`,
    note: `The blocks (${REPAIR_BLOCK_BYTES} B each) are seeded into the stores of their ${REPLICATION} true XOR-closest servers, one of them the server that then stops. ` +
      `Time: from its stop until every block has ${REPLICATION} holders (replica or pinned) among the servers left, polled every ${POLL_MS / 1000} s. ` +
      'Lookups, pushes, sweeps and blocks checked: summed over the servers left, during the repair. A sweep for a membership change waits 5 s after it, and 60 s after the server\'s previous sweep (REPAIR_MIN_GAP_MS). ' +
      `Foreground gets: \`weft get\` of a ${FOREGROUND_BYTES / 2 ** 20} MiB file (put before the seeding) as fresh CLI processes through another server, ${IDLE_GETS} before the server stops, up to ${REPAIR_GETS} while repair runs (a get counts only when pushes went on during it) and ${IDLE_GETS} after it: repair must not starve them.`,
    columns: ['servers (processes)', 'blocks', 'repair s', 'lookups', 'pushes', 'MiB pushed', 'sweeps', 'blocks checked', 'short at end', 'get s, before', 'get s, during repair', 'get s, after'],
    rows: [figure.status !== 'ok' && figure.repairMs == null
      ? [`${figure.servers} (${figure.processes})`, String(figure.blocks), `failed: ${figure.error ?? ''}`, '', '', '', '', '', '', '', '', '']
      : [
          `${figure.servers} (${figure.processes})`,
          String(figure.blocks),
          ((figure.repairMs ?? 0) / 1000).toFixed(0) + (figure.status === 'ok' ? '' : ' (gave up)'),
          String(figure.lookups),
          String(figure.pushed),
          ((figure.pushed ?? 0) * REPAIR_BLOCK_BYTES / 2 ** 20).toFixed(1),
          String(figure.sweeps),
          String(figure.blocksChecked),
          String(figure.short),
          seconds(figure.getsIdleMs),
          seconds(figure.getsDuringRepairMs),
          seconds(figure.getsAfterRepairMs)
        ]],
    data: figure
  }
}
