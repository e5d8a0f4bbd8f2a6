// weft as a user runs it (issue 15, item 1): the seeder is a `weft start`
// process given the file by `weft put`; each fetch is a fresh `weft get CID
// -o FILE --timings` process (or `weft get CID > FILE`), timed from spawn to exit, as a person at a
// terminal waits for it. Its own --timings line says where the time went
// (load, node, join, first byte, transfer) and what CPU and memory it used.
//
// variant 'stdout': `weft get CID --timings > FILE`, as issue 15 item 1 words
// it: the child's stdout is the file, opened by the harness as a shell's
// redirection opens it (no fsync, no rename: what `-o` adds for a durable file).
//
// seed: `weft start` on the task's host (TCP only, HTTP off, repair off: one
// server has no one to repair with), then `weft put FILE --min-replicas 1`
// through it; the ready line carries the CID.
//
// fetch: the clock runs from spawn to exit; the file it wrote is hashed
// afterwards (the CLI verified every block on the way), then removed.
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdtemp, open, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { parseTimings, type CliPhases } from './cli-timings.js'
import { runCli, WEFT_BIN } from './cli-run.js'
import { report, runMain, task, untilReleased, type FetchResult } from './peer-io.js'
import type { FetchTask, SeedTask } from './transfer.js'

export type { CliPhases }

/** How long a seeder may take to start and take the file. */
const SEED_LIMIT_MS = 300_000

/**
 * A CLI fetch's result: the transfer figure's, plus its phases and
 * `dialToLastByte` (join + first byte + transfer: the span the stream row's
 * clock covers, from its dial to its last byte).
 */
export interface CliFetchResult extends FetchResult {
  phases: CliPhases & { dialToLastByte: number }
}

async function seed (t: SeedTask): Promise<void> {
  if (t.count !== 1) throw new Error('the CLI row seeds from one server')
  const dataDir = await mkdtemp(join(t.tmpDir, 'weft-cli-seed-'))
  const server = spawn(process.execPath, [WEFT_BIN, 'start', '--data', dataDir, '--listen', `/ip4/${t.host}/tcp/0`,
    '--http.enabled', 'false', '--storage.repair-interval-ms', '0'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  server.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000) })
  const exited = new Promise<void>(resolve => server.once('exit', () => { resolve() }))
  try {
    const addrs: string[] = []
    await new Promise<void>((resolve, reject) => {
      const lines = createInterface({ input: server.stdout })
      lines.on('line', line => {
        if (line === 'ready') resolve()
        else if (line.startsWith('/')) addrs.push(line)
      })
      void exited.then(() => { reject(new Error(`weft start exited before ready: ${stderr.trim()}`)) })
    })
    const put = await runCli(['put', t.file, '-q', '--min-replicas', '1', '--bootstrap', addrs[0]], SEED_LIMIT_MS)
    if (put.code !== 0) throw new Error(`weft put exited ${String(put.code)}: ${put.stderr.trim()}`)
    report({ ready: true, addrs, cid: put.stdout.trim() })
    await untilReleased()
  } finally {
    server.kill('SIGTERM')
    await exited
    await rm(dataDir, { recursive: true, force: true })
  }
}

async function sha256File (path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** `weft get CID [-o FILE] --timings`, or with its stdout redirected to FILE; timed spawn to exit. */
async function runGet (cid: string, addr: string, out: string, variant: string | undefined): Promise<Awaited<ReturnType<typeof runCli>>> {
  const common = ['-q', '--timings', '--bootstrap', addr]
  if (variant !== 'stdout') return runCli(['get', cid, '-o', out, ...common], 600_000)
  // opened before the clock starts, as a shell opens `> file` before it runs the command
  const file = await open(out, 'w')
  try {
    return await runCli(['get', cid, ...common], 600_000, WEFT_BIN, file.fd)
  } finally {
    await file.close()
  }
}

async function fetch ({ seeders, size, sha256, variant }: FetchTask): Promise<void> {
  const cid = seeders[0]?.cid as string | undefined
  const addr = (seeders[0]?.addrs as string[] | undefined)?.[0]
  if (cid == null || addr == null) throw new Error('the seeder reported no CID or address')
  const dir = await mkdtemp(join(process.env.TMPDIR ?? '/tmp', 'weft-cli-get-'))
  const out = join(dir, 'file')
  try {
    const get = await runGet(cid, addr, out, variant)
    if (get.code !== 0) throw new Error(`weft get exited ${String(get.code)}: ${get.stderr.trim()}`)
    const { phases, cpuMs, maxRssBytes } = parseTimings(get.stderr)
    const got = await sha256File(out)
    const bytes = (await stat(out)).size
    const result: CliFetchResult = { ok: got === sha256 && bytes === size, ms: get.ms, bytes, sha256: got, maxRssBytes, cpuMs, phases: { ...phases, dialToLastByte: phases.join + phases.firstByte + phases.transfer } }
    report(result)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

runMain(async () => {
  const t = task<SeedTask | FetchTask>()
  await (t.role === 'seed' ? seed(t) : fetch(t))
})
