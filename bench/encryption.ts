// Encrypted put and get beside plain ones in the same run (issue 18): a
// transient node in this process puts fresh random files into 3 server
// processes (replication 3), alternating plain and encrypted, then a fresh
// transient reader gets each back. Also encryption and decryption alone, in
// memory. Run: node dist/bench/encryption.js [MiB] [runs]
import { randomFillSync } from 'node:crypto'
import { startTestnet } from '../src/testing/testnet.js'
import { createNode, type WeftNode } from '../src/index.js'
import { DecryptedFile, encryptContent } from '../src/content/encryption/index.js'

const MiB = 2 ** 20
const size = Number(process.argv[2] ?? 64) * MiB
const runs = Number(process.argv[3] ?? 3)
const CHUNK = 1_048_576

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
async function inMemory (): Promise<{ encrypt: number, decrypt: number }> {
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

async function main (): Promise<void> {
  const memory = await inMemory()
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
        if (run > 0) {
          results[mode].put.push(rate(size, putMs))
          results[mode].get.push(rate(size, getMs))
        }
      }
    }
  } finally {
    await net.stop()
  }
  const row = (name: string, plain: number[], encrypted: number[]): string => {
    const p = median(plain)
    const e = median(encrypted)
    return `| ${name} | ${p.toFixed(1)} | ${e.toFixed(1)} | ${((e / p - 1) * 100).toFixed(1)} % |`
  }
  console.log(`${size / MiB} MiB, 1 MiB leaves, 3 server processes (replication 3), median of ${runs} runs (one warm-up), MiB/s of file bytes`)
  console.log('| operation | plain MiB/s | encrypted MiB/s | difference |')
  console.log('|---|---|---|---|')
  console.log(row('put', results.plain.put, results.encrypted.put))
  console.log(row('get', results.plain.get, results.encrypted.get))
  // each encrypted run beside the plain run of the same round: the machine's load drifts less within a pair than across the run
  const paired = (plain: number[], encrypted: number[]): string => `${((median(encrypted.map((e, i) => e / plain[i])) - 1) * 100).toFixed(1)} %`
  console.log(`paired (median of encrypted / the plain run of the same round): put ${paired(results.plain.put, results.encrypted.put)}, get ${paired(results.plain.get, results.encrypted.get)}`)
  console.log(`in memory alone: encrypt ${memory.encrypt.toFixed(0)} MiB/s, decrypt ${memory.decrypt.toFixed(0)} MiB/s`)
  console.log(`runs: ${JSON.stringify(results)}`)
}

await main()
