// A/B pairs of CLI gets (issue 15, item 2): two builds of weft, each with its
// own `weft start` server seeded by its own `weft put`, then fresh
// `weft get CID -o FILE --timings` processes of each in turn (A B, B A, ...),
// the seeder's CPU per get read from /proc/PID/stat. Rows one after another
// on a shared machine move with whatever else runs; pairs taken in turn and
// their ratios do much less (docs/performance.md, "The CLI get's transfer
// path, third round").
//
//   node dist/bench/cli-ab.js A_CHECKOUT B_CHECKOUT [--size 64] [--pairs 16] [--stdout]
//
// Each side runs its checkout's shipped CLI (package.json's `bin`, the
// bundle). --size is in MiB (0.001 for a 1 KiB get: start-up); --stdout runs
// `weft get CID > FILE` (the child's stdout a file) instead of `-o FILE`.
//
// A checkout is a directory with package.json, node_modules and dist (a
// worktree, or a copy of an older build: cp -r dist package.json and link
// node_modules). Run it inside test/support/in-netns.sh, as the benchmark.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, open, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { runCli, type CliRun } from './cli-run.js'
import { parseTimings } from './cli-timings.js'
import { randomFile } from './random-file.js'

interface Get { firstByte: number, transfer: number, end: number, wall: number, cpu: number, seederCpu: number, rssMiB: number }
interface Side { name: string, bin: string, server: ChildProcess, addr: string, cid: string }

const MIB = 2 ** 20
const host = process.env.WEFT_TEST_HOST ?? '127.0.0.1'

/** A CLI run of one side's build; none in this harness takes 10 minutes. */
async function run (bin: string, args: string[], stdoutFd?: number): Promise<CliRun> {
  return runCli(args, 600_000, bin, stdoutFd)
}

/** CPU time of a process so far (user + system, all threads), ms. */
async function cpuMs (pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ')
  // utime and stime, in clock ticks of 10 ms
  return (Number(fields[11]) + Number(fields[12])) * 10
}

async function seed (name: string, checkout: string, file: string, dir: string): Promise<Side> {
  const root = resolve(checkout)
  const bin = join(root, JSON.parse(await readFile(join(root, 'package.json'), 'utf8')).bin.weft)
  const dataDir = await mkdtemp(join(dir, `${name}-`))
  const server = spawn(process.execPath, [bin, 'start', '--data', dataDir, '--listen', `/ip4/${host}/tcp/0`, '--http.enabled', 'false', '--storage.repair-interval-ms', '0'], { stdio: ['ignore', 'pipe', 'inherit'] })
  const addrs: string[] = []
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: server.stdout as NodeJS.ReadableStream }).on('line', line => {
      if (line === 'ready') resolve()
      else if (line.startsWith('/')) addrs.push(line)
    })
    server.once('exit', () => { reject(new Error(`${name}: weft start exited before ready`)) })
  })
  const put = await run(bin, ['put', file, '-q', '--min-replicas', '1', '--bootstrap', addrs[0]])
  if (put.code !== 0) throw new Error(`${name}: weft put exited ${String(put.code)}: ${put.stderr}`)
  return { name, bin, server, addr: addrs[0], cid: put.stdout.trim() }
}

async function get (side: Side, dir: string, toStdout: boolean): Promise<Get> {
  const out = join(dir, 'out')
  const before = await cpuMs(side.server.pid as number)
  const common = ['-q', '--timings', '--bootstrap', side.addr]
  let got: CliRun
  if (toStdout) {
    const file = await open(out, 'w')
    try {
      got = await run(side.bin, ['get', side.cid, ...common], file.fd)
    } finally {
      await file.close()
    }
  } else {
    got = await run(side.bin, ['get', side.cid, '-o', out, ...common])
  }
  const seederCpu = await cpuMs(side.server.pid as number) - before
  await rm(out, { force: true })
  if (got.code !== 0) throw new Error(`${side.name}: weft get exited ${String(got.code)}: ${got.stderr}`)
  const { phases, cpuMs: cpu, maxRssBytes } = parseTimings(got.stderr)
  return { firstByte: phases.firstByte, transfer: phases.transfer, end: phases.end, wall: Math.round(got.ms), cpu, seederCpu, rssMiB: Math.round(maxRssBytes / MIB) }
}

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { size: { type: 'string', default: '64' }, pairs: { type: 'string', default: '16' }, stdout: { type: 'boolean', default: false } } })
if (positionals.length !== 2) throw new Error('usage: node dist/bench/cli-ab.js A_CHECKOUT B_CHECKOUT [--size MiB] [--pairs N]')
const size = Math.round(Number(values.size) * MIB)
const pairs = Number(values.pairs)
const dir = await mkdtemp(join(tmpdir(), 'weft-cli-ab-'))
const sides: Side[] = []
try {
  const file = await randomFile(dir, size)
  sides.push(await seed('A', positionals[0], file.path, dir), await seed('B', positionals[1], file.path, dir))
  const gets: Record<string, Get[]> = { A: [], B: [] }
  for (let i = 0; i < pairs; i++) {
    for (const side of i % 2 === 0 ? sides : [...sides].reverse()) {
      const one = await get(side, dir, values.stdout)
      gets[side.name].push(one)
      console.log(`${i} ${side.name} ${JSON.stringify(one)} load ${(await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ')}`)
    }
  }
  for (const key of ['firstByte', 'transfer', 'end', 'wall', 'cpu', 'seederCpu', 'rssMiB'] as const) {
    // a phase of 0 ms (a 1 KiB get's transfer) has no ratio
    const ratios = gets.A.map((a, i) => gets.B[i][key] / a[key]).filter(Number.isFinite)
    console.log(`${key}: A ${median(gets.A.map(g => g[key]))}, B ${median(gets.B.map(g => g[key]))}; B/A pairwise median ${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`)
  }
} finally {
  await Promise.all(sides.map(async side => {
    const exited = new Promise(resolve => side.server.once('exit', resolve))
    side.server.kill('SIGTERM')
    await exited
  }))
  await rm(dir, { recursive: true, force: true })
}
