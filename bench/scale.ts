// Issue 12's rows: `weft put` and `weft get` of one file, each a fresh CLI
// process as a user runs them, into testnets of 5, 20 and 50 servers. A
// put goes through one server, the get through another. After the put the
// run waits for the servers to finish the replica sets (the first holder
// forwards), then counts every block's holders in every server's store.
import { createReadStream } from 'node:fs'
import { createHash } from 'node:crypto'
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { importContent } from '../src/content/import.js'
import { lastLine, runCli } from './cli-run.js'
import { onTestnet, processesFor } from './testnet-row.js'
import type { Testnet } from '../src/testing/testnet.js'
import type { Section } from './report.js'
import type { CID } from 'multiformats/cid'
import type { RandomFile } from './random-file.js'

/** storage.replication's default: the holders every block should end with. */
export const REPLICATION = 5

/** How long after a put the servers may take to finish the replica sets. */
const SETTLE_MS = 120_000

/** One network size's figures. */
export interface ScaleFigure {
  servers: number
  processes: number
  size: number
  status: 'ok' | 'failed'
  readyMs?: number
  putMs?: number
  getMs?: number
  /** `weft put`'s own summary line. */
  putSummary?: string
  /** MiB the uploader said it sent. */
  sentMiB?: number
  /** Replicas each block had when put returned (its summary). */
  replicasAtPut?: number
  blocks?: number
  /** Holders per block once the servers finished (or SETTLE_MS passed): min, median, max, and how many blocks are short of REPLICATION. */
  holders?: { min: number, median: number, max: number, short: number, settleMs: number }
  identical?: boolean
  error?: string
}

/** The CIDs of every block a put of `path` stores (the same chunker as `weft put`). */
async function blockCids (path: string): Promise<string[]> {
  const cids: string[] = []
  await importContent(createReadStream(path), {
    put: async (cid: CID) => {
      cids.push(cid.toString())
      return cid
    }
  })
  return cids
}

/** Waits until every block has REPLICATION holders, or SETTLE_MS passed; the last counts and the wait. */
async function settledHolders (net: Testnet, cids: string[]): Promise<{ counts: number[], ms: number }> {
  const started = performance.now()
  for (;;) {
    const counts = await net.holderCounts(cids)
    const ms = performance.now() - started
    if (counts.every(c => c >= REPLICATION) || ms > SETTLE_MS) return { counts, ms }
    await new Promise(resolve => setTimeout(resolve, 2000))
  }
}

function sha256File (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** Starts `servers` servers, puts `file` through one with `weft put`, waits for the replica sets, gets it through another with `weft get`. */
export async function measureScale (servers: number, file: RandomFile, tmpDir: string, log: (line: string) => void): Promise<ScaleFigure> {
  const figure: ScaleFigure = { servers, processes: processesFor(servers), size: file.size, status: 'failed' }
  return onTestnet(figure, servers, tmpDir, async (net, readyMs) => {
    figure.readyMs = readyMs
    log(`scale ${servers}: ready in ${(readyMs / 1000).toFixed(0)} s over ${figure.processes} processes; weft put ${file.size / 2 ** 20} MiB`)
    const via = net.servers[Math.floor(servers / 2)]
    const from = net.servers[servers - 1]
    const put = await runCli(['put', file.path, '--bootstrap', via.multiaddrs[0]], 600_000)
    figure.putMs = put.ms
    figure.putSummary = lastLine(put.stderr)
    if (put.code !== 0) throw new Error(`weft put exited ${String(put.code)}: ${figure.putSummary}`)
    figure.sentMiB = Number(/, ([\d.]+) MiB sent[,)]/.exec(put.stderr)?.[1] ?? NaN)
    figure.replicasAtPut = Number(/, (\d+) replicas? each/.exec(put.stderr)?.[1] ?? NaN)
    const cids = await blockCids(file.path)
    figure.blocks = cids.length
    const { counts, ms } = await settledHolders(net, cids)
    const sorted = [...counts].sort((a, b) => a - b)
    figure.holders = { min: sorted[0], median: sorted[Math.floor(sorted.length / 2)], max: sorted[sorted.length - 1], short: counts.filter(c => c < REPLICATION).length, settleMs: ms }
    log(`scale ${servers}: put ${(put.ms / 1000).toFixed(1)} s (${figure.putSummary}); holders ${JSON.stringify(figure.holders)}; weft get`)
    const out = join(tmpDir, `got-${servers}.bin`)
    try {
      const get = await runCli(['get', put.stdout.trim(), '-o', out, '--bootstrap', from.multiaddrs[0]], 600_000)
      figure.getMs = get.ms
      if (get.code !== 0) throw new Error(`weft get exited ${String(get.code)}: ${lastLine(get.stderr)}`)
      figure.identical = sha256File(await readFile(out)) === file.sha256
    } finally {
      await rm(out, { force: true })
    }
  })
}

/** The rows as a table. */
export function scaleSection (figures: ScaleFigure[]): Section {
  const s = (ms: number | undefined): string => ms == null ? '–' : (ms / 1000).toFixed(1)
  const mib = (figures[0]?.size ?? 0) / 2 ** 20
  return {
    id: 'scale',
    title: `7. weft put and weft get of ${mib} MiB (fresh CLI processes) into testnets of ${figures.map(f => f.servers).join(', ')} servers`,
    note: 'Each size is a fresh testnet (startTestnet: real server nodes over TCP on 127.0.0.1, stores on disk, spread over the given processes). ' +
      '`weft put FILE --bootstrap <a middle server>` and then `weft get CID -o FILE --bootstrap <the last server>` run as separate processes, timed from spawn to exit (start-up and join included). ' +
      `Sent per byte: MiB the uploader sent (its own count) over the file's MiB; a star upload to ${REPLICATION} replicas would be ${REPLICATION}.0. ` +
      `Holders: per block, servers that keep it (replica or pinned) counted in every store, once all blocks had ${REPLICATION} or ${SETTLE_MS / 1000} s passed after the put; "short" = blocks below ${REPLICATION}. One run per size.`,
    columns: ['servers (processes)', 'ready s', 'put s', 'put MiB/s', 'sent per byte', 'replicas at put', 'holders min / median / max', 'short blocks', 'set complete after put s', 'get s', 'get MiB/s', 'identical'],
    rows: figures.map(f => f.status !== 'ok'
      ? [`${f.servers} (${f.processes})`, s(f.readyMs), `failed: ${f.error ?? ''}`, '', '', '', '', '', '', '', '', '']
      : [
          `${f.servers} (${f.processes})`,
          s(f.readyMs),
          s(f.putMs),
          (mib / ((f.putMs ?? 1) / 1000)).toFixed(1),
          ((f.sentMiB ?? NaN) / mib).toFixed(2),
          String(f.replicasAtPut),
          `${f.holders?.min ?? '–'} / ${f.holders?.median ?? '–'} / ${f.holders?.max ?? '–'}`,
          String(f.holders?.short ?? '–'),
          s(f.holders?.settleMs),
          s(f.getMs),
          (mib / ((f.getMs ?? 1) / 1000)).toFixed(1),
          f.identical === true ? 'yes' : 'NO'
        ]),
    data: figures
  }
}
