// Encrypted put and get beside plain ones in the same run (issue 18): a
// transient node in this process puts fresh random files into 3 server
// processes (replication 3), alternating plain and encrypted, then a fresh
// transient reader gets each back. Also encryption and decryption alone, in
// memory. `npm run bench -- --only encryption [--encryption-size 64]`, or on
// its own: node dist/bench/encryption.js [MiB] [runs]
//
// Beside the wall rates, each put and get's CPU: this process's (the
// writer or reader, all its threads), its main thread's, the server
// processes' (from /proc, on Linux) and the major GCs in this process.
// On the 2 shared cores the servers and the reader run on, a get is bound by
// the whole machine's CPU, so the CPU a get costs per MiB is what its rate
// follows on a quiet machine, and it moves far less with other load than the
// wall rate does.
import { randomFillSync } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { constants, PerformanceObserver } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { loadavg } from 'node:os'
import { startTestnet } from '../src/testing/testnet.js'
import { createNode, type WeftNode } from '../src/index.js'
import { DecryptedFile, encryptContent } from '../src/content/encryption/index.js'
import type { Section } from './report.js'

const MiB = 2 ** 20
const CHUNK = 1_048_576

/** CPU one put or get cost, in ms per MiB of file bytes. */
export interface CpuCost {
  /** This process (the writer or reader): all its threads. */
  local: number
  /** This process's main thread alone. */
  main: number
  /** The server processes, together (undefined where /proc cannot be read). */
  servers?: number
  /** Major (mark-compact) garbage collections in this process. */
  majorGcs: number
}

/** One kind's runs: MiB/s of file bytes and CPU, each run after one warm-up of each kind. */
export interface EncryptionRuns {
  put: number[]
  get: number[]
  putCpu: CpuCost[]
  getCpu: CpuCost[]
}

export interface EncryptionFigures {
  size: number
  runs: number
  plain: EncryptionRuns
  encrypted: EncryptionRuns
  /** Encryption and decryption alone, in memory, MiB/s (median). */
  memory: { encrypt: number, decrypt: number }
  /** Load average (1 min) before and after the runs. */
  load: [number, number]
}

function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

const rate = (bytes: number, ms: number): number => bytes / MiB / (ms / 1000)

/** User and system CPU of process `pid` in ms, from /proc (Linux; 10 ms ticks), or undefined. */
function processCpuMs (pid: number | undefined): number | undefined {
  if (pid == null) return undefined
  try {
    // the fields after the command (which may hold spaces), from the state on: utime and stime are the 12th and 13th
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return undefined
  }
}

/** Counts major GCs in this process while a measurement runs. */
function majorGcCounter (): { count: () => number, stop: () => void } {
  let count = 0
  const observer = new PerformanceObserver(list => {
    for (const entry of list.getEntries()) {
      if (((entry as unknown as { detail?: { kind?: number } }).detail)?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) count++
    }
  })
  observer.observe({ entryTypes: ['gc'] })
  return { count: () => count, stop: () => { observer.disconnect() } }
}

/** Starts measuring the CPU of this process and of `servers`; the returned function gives the cost per MiB of `bytes`. */
function cpuMeter (servers: () => Array<number | undefined>, gcs: () => number): (bytes: number) => Promise<CpuCost> {
  const serversCpu = (): number | undefined => {
    const each = servers().map(processCpuMs)
    return each.some(ms => ms == null) ? undefined : (each as number[]).reduce((a, b) => a + b, 0)
  }
  const local = process.cpuUsage()
  const main = process.threadCpuUsage()
  const server = serversCpu()
  const majors = gcs()
  return async bytes => {
    // the GC observer is told after the collection, from a task of its own
    await new Promise(resolve => setImmediate(resolve))
    const l = process.cpuUsage(local)
    const m = process.threadCpuUsage(main)
    const s = serversCpu()
    const mib = bytes / MiB
    return {
      local: (l.user + l.system) / 1000 / mib,
      main: (m.user + m.system) / 1000 / mib,
      ...(s != null && server != null ? { servers: (s - server) / mib } : {}),
      majorGcs: gcs() - majors
    }
  }
}

async function drain (chunks: AsyncIterable<Uint8Array>): Promise<number> {
  let n = 0
  for await (const c of chunks) n += c.byteLength
  return n
}

/** Encrypt and decrypt alone, in memory: the cost the format adds, without the network. */
async function inMemory (size: number, runs: number): Promise<{ encrypt: number, decrypt: number }> {
  const plain = randomFillSync(Buffer.alloc(size))
  const enc: number[] = []
  const dec: number[] = []
  for (let i = 0; i < runs; i++) {
    let started = performance.now()
    const { key, ciphertext } = await encryptContent(plain, { recordSize: CHUNK })
    const parts: Uint8Array[] = []
    for await (const c of ciphertext) parts.push(c)
    enc.push(rate(size, performance.now() - started))
    const cipher = Buffer.concat(parts)
    started = performance.now()
    const file = await DecryptedFile.open({ size: cipher.byteLength, read: async function * (offset, length) { yield cipher.subarray(offset, offset + length) } }, key)
    await drain(file.read())
    dec.push(rate(size, performance.now() - started))
  }
  return { encrypt: median(enc), decrypt: median(dec) }
}

/** Puts and gets `size`-byte files plain and encrypted, `runs` of each after a warm-up, through 3 server processes. */
export async function measureEncryption (size: number, runs: number, log: (line: string) => void = () => {}): Promise<EncryptionFigures> {
  const memory = await inMemory(size, runs)
  const net = await startTestnet({ servers: 3, processes: 3, config: { storage: { replication: 3 } } })
  const bootstrap = net.servers.map(s => s.multiaddrs[0])
  const transient = async (): Promise<WeftNode> => {
    const node = await createNode({ bootstrap, storage: { replication: 3, writeQuorum: 3 } }, { transient: true })
    await node.joined({ timeoutMs: 30_000 }).catch(() => {})
    return node
  }
  const empty = (): EncryptionRuns => ({ put: [], get: [], putCpu: [], getCpu: [] })
  const results = { plain: empty(), encrypted: empty() }
  const servers = (): Array<number | undefined> => net.processes.map(p => p.pid)
  const gcs = majorGcCounter()
  const loadBefore = loadavg()[0]
  try {
    // one warm-up of each, not counted
    for (let run = 0; run <= runs; run++) {
      // which goes first alternates, so neither always runs after the other's put
      for (const mode of run % 2 === 0 ? ['plain', 'encrypted'] as const : ['encrypted', 'plain'] as const) {
        const bytes = randomFillSync(Buffer.alloc(size))
        const writer = await transient()
        let meter = cpuMeter(servers, gcs.count)
        let started = performance.now()
        const put = await writer.put(bytes, mode === 'encrypted' ? { encrypt: true } : {})
        const putMs = performance.now() - started
        const putCpu = await meter(size)
        await writer.stop()
        const reader = await transient()
        meter = cpuMeter(servers, gcs.count)
        started = performance.now()
        const got = await drain(reader.get(put.capability ?? put.cid))
        const getMs = performance.now() - started
        const getCpu = await meter(size)
        await reader.stop()
        if (got !== size) throw new Error(`${mode} get gave ${got} bytes of ${size}`)
        log(`encryption: ${run === 0 ? 'warm-up' : `run ${run}`} ${mode}: put ${rate(size, putMs).toFixed(1)} MiB/s, get ${rate(size, getMs).toFixed(1)} MiB/s; ` +
          `get CPU per MiB: reader ${getCpu.local.toFixed(2)} ms (main thread ${getCpu.main.toFixed(2)}), servers ${getCpu.servers?.toFixed(2) ?? '?'} ms, ${getCpu.majorGcs} major GCs`)
        if (run > 0) {
          results[mode].put.push(rate(size, putMs))
          results[mode].get.push(rate(size, getMs))
          results[mode].putCpu.push(putCpu)
          results[mode].getCpu.push(getCpu)
        }
      }
    }
  } finally {
    gcs.stop()
    await net.stop()
  }
  return { size, runs, ...results, memory, load: [loadBefore, loadavg()[0]] }
}

/** Each encrypted run beside the plain run of the same round: the machine's load drifts less within a pair than across the run. */
function paired (plain: number[], encrypted: number[]): number {
  return median(encrypted.map((e, i) => e / plain[i])) - 1
}

/** The figures as a table: plain and encrypted medians, their difference, and the paired difference. */
export function encryptionSection (figures: EncryptionFigures): Section {
  const percent = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`
  const row = (name: string, plain: number[], encrypted: number[], digits = 1): string[] => {
    const p = median(plain)
    const e = median(encrypted)
    return [name, p.toFixed(digits), e.toFixed(digits), percent(e / p - 1), percent(paired(plain, encrypted))]
  }
  const cpu = (op: 'putCpu' | 'getCpu', pick: (c: CpuCost) => number | undefined): { plain: number[], encrypted: number[] } | undefined => {
    const plain = figures.plain[op].map(pick)
    const encrypted = figures.encrypted[op].map(pick)
    return plain.every(x => x != null) && encrypted.every(x => x != null) ? { plain: plain as number[], encrypted: encrypted as number[] } : undefined
  }
  const cpuRows: string[][] = []
  const cpuRow = (name: string, op: 'putCpu' | 'getCpu', pick: (c: CpuCost) => number | undefined, digits = 2): void => {
    const got = cpu(op, pick)
    if (got != null) cpuRows.push(row(name, got.plain, got.encrypted, digits))
  }
  cpuRow('put CPU ms/MiB: writer', 'putCpu', c => c.local)
  cpuRow('put CPU ms/MiB: writer + servers', 'putCpu', c => c.servers != null ? c.local + c.servers : undefined)
  cpuRow('get CPU ms/MiB: reader (all threads)', 'getCpu', c => c.local)
  cpuRow('get CPU ms/MiB: reader, main thread', 'getCpu', c => c.main)
  cpuRow('get CPU ms/MiB: servers', 'getCpu', c => c.servers)
  cpuRow('get CPU ms/MiB: reader + servers', 'getCpu', c => c.servers != null ? c.local + c.servers : undefined)
  cpuRow('get: major GCs in the reader', 'getCpu', c => c.majorGcs, 1)
  return {
    id: 'encryption',
    title: `Encrypted put and get beside plain ones (${figures.size / MiB} MiB)`,
    note: `${figures.size / MiB} MiB files, 1 MiB leaves, into 3 server processes (replication 3, write quorum 3) from a transient node in the benchmark's process, ` +
      `read back by a fresh one; medians of ${figures.runs} runs of each after a warm-up, plain and encrypted alternating in each round, MiB/s of file bytes. ` +
      `"Paired": the median of each encrypted run over the plain run of its round. Target: within 10 %. ` +
      'CPU per MiB of file bytes: the writer or reader is this process (all its threads; its main thread apart), the servers their 3 processes; ' +
      'where they share the machine\'s cores a get is bound by their sum, so its paired difference is what the rate\'s would be on a quiet machine. ' +
      `In memory alone: encrypt ${figures.memory.encrypt.toFixed(0)} MiB/s, decrypt ${figures.memory.decrypt.toFixed(0)} MiB/s. ` +
      `Load average ${figures.load[0].toFixed(1)} before, ${figures.load[1].toFixed(1)} after.`,
    columns: ['measure', 'plain', 'encrypted', 'difference', 'paired'],
    rows: [row('put MiB/s', figures.plain.put, figures.encrypted.put), row('get MiB/s', figures.plain.get, figures.encrypted.get), ...cpuRows],
    data: figures
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const size = Number(process.argv[2] ?? 64) * MiB
  const runs = Number(process.argv[3] ?? 3)
  const figures = await measureEncryption(size, runs, line => { process.stderr.write(`${line}\n`) })
  const section = encryptionSection(figures)
  const { markdown } = await import('./report.js')
  process.stdout.write(markdown(section))
  process.stdout.write(`runs: ${JSON.stringify({ plain: figures.plain, encrypted: figures.encrypted, load: figures.load })}\n`)
}
