// Encrypted put and get beside plain ones in the same run (issue 18): a
// transient node in this process puts fresh random files into 3 server
// processes (replication 3), alternating plain and encrypted, then a fresh
// transient reader gets each back. Also encryption and decryption alone, in
// memory. `npm run bench -- --only encryption [--encryption-size 64]`, or on
// its own: node dist/bench/encryption.js [MiB] [runs]
import { randomFillSync } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { startTestnet } from '../src/testing/testnet.js'
import { createNode, type WeftNode } from '../src/index.js'
import { DecryptedFile, encryptContent } from '../src/content/encryption/index.js'
import type { Section } from './report.js'

const MiB = 2 ** 20
const CHUNK = 1_048_576

/** MiB/s of file bytes, each run after one warm-up of each kind. */
export interface EncryptionFigures {
  size: number
  runs: number
  plain: { put: number[], get: number[] }
  encrypted: { put: number[], get: number[] }
  /** Encryption and decryption alone, in memory, MiB/s (median). */
  memory: { encrypt: number, decrypt: number }
}

function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

const rate = (bytes: number, ms: number): number => bytes / MiB / (ms / 1000)

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
  const results = { plain: { put: [] as number[], get: [] as number[] }, encrypted: { put: [] as number[], get: [] as number[] } }
  try {
    // one warm-up of each, not counted
    for (let run = 0; run <= runs; run++) {
      // which goes first alternates, so neither always runs after the other's put
      for (const mode of run % 2 === 0 ? ['plain', 'encrypted'] as const : ['encrypted', 'plain'] as const) {
        const bytes = randomFillSync(Buffer.alloc(size))
        const writer = await transient()
        let started = performance.now()
        const put = await writer.put(bytes, mode === 'encrypted' ? { encrypt: true } : {})
        const putMs = performance.now() - started
        await writer.stop()
        const reader = await transient()
        started = performance.now()
        const got = await drain(reader.get(put.capability ?? put.cid))
        const getMs = performance.now() - started
        await reader.stop()
        if (got !== size) throw new Error(`${mode} get gave ${got} bytes of ${size}`)
        log(`encryption: ${run === 0 ? 'warm-up' : `run ${run}`} ${mode}: put ${rate(size, putMs).toFixed(1)} MiB/s, get ${rate(size, getMs).toFixed(1)} MiB/s`)
        if (run > 0) {
          results[mode].put.push(rate(size, putMs))
          results[mode].get.push(rate(size, getMs))
        }
      }
    }
  } finally {
    await net.stop()
  }
  return { size, runs, ...results, memory }
}

/** Each encrypted run beside the plain run of the same round: the machine's load drifts less within a pair than across the run. */
function paired (plain: number[], encrypted: number[]): number {
  return median(encrypted.map((e, i) => e / plain[i])) - 1
}

/** The figures as a table: plain and encrypted medians, their difference, and the paired difference. */
export function encryptionSection (figures: EncryptionFigures): Section {
  const percent = (x: number): string => `${(x * 100).toFixed(1)} %`
  const row = (name: 'put' | 'get'): string[] => {
    const p = median(figures.plain[name])
    const e = median(figures.encrypted[name])
    return [name, p.toFixed(1), e.toFixed(1), percent(e / p - 1), percent(paired(figures.plain[name], figures.encrypted[name]))]
  }
  return {
    id: 'encryption',
    title: `Encrypted put and get beside plain ones (${figures.size / MiB} MiB)`,
    note: `${figures.size / MiB} MiB files, 1 MiB leaves, into 3 server processes (replication 3, write quorum 3) from a transient node in the benchmark's process, ` +
      `read back by a fresh one; medians of ${figures.runs} runs of each after a warm-up, plain and encrypted alternating in each round, MiB/s of file bytes. ` +
      `"Paired": the median of each encrypted run over the plain run of its round. Target: within 10 %. In memory alone: encrypt ${figures.memory.encrypt.toFixed(0)} MiB/s, decrypt ${figures.memory.decrypt.toFixed(0)} MiB/s.`,
    columns: ['operation', 'plain MiB/s', 'encrypted MiB/s', 'difference', 'paired'],
    rows: [row('put'), row('get')],
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
  process.stdout.write(`runs: ${JSON.stringify({ plain: figures.plain, encrypted: figures.encrypted })}\n`)
}
