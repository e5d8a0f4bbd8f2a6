import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, statSync, watch } from 'node:fs'
import { open, readFile, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { verifiedPrefix } from '../src/cli/commands/get.js'
import { statusWhen } from './support/status.js'
import type { FilePart } from '../src/index.js'
import { runWeft, spawnNetwork, tempDir, WEFT_BIN, type WeftProcess } from './support/weft-process.js'

const MiB = 1_048_576

function sha256Hex (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/**
 * Runs `weft get CID -o output` and sends it `signal` as soon as its partial
 * file holds `atLeast` bytes, woken by the file's own change events;
 * resolves once it exited, with its exit code (or signal) and stderr.
 */
async function getInterruptedAt (args: string[], output: string, atLeast: number, signal: NodeJS.Signals): Promise<{ code: number | null, signal: NodeJS.Signals | null, stderr: string }> {
  const partial = `${output}.partial`
  const child = spawn(process.execPath, [WEFT_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
  let sent = false
  const watcher = watch(dirname(output), (_event, name) => {
    if (sent || name !== basename(partial)) return
    const size = existsSync(partial) ? statSync(partial).size : 0
    if (size < atLeast) return
    sent = true
    child.kill(signal)
  })
  try {
    const [code, killedBy] = await once(child, 'exit') as [number | null, NodeJS.Signals | null]
    assert.ok(sent, `get exited (${code}) before it was interrupted: ${stderr}`)
    return { code, signal: killedBy, stderr }
  } finally {
    watcher.close()
  }
}

describe('interrupted transfers, run again, move only what is missing', () => {
  let servers: WeftProcess[]
  let stopNetwork: () => Promise<void>
  let bootstrap: string[]
  let dir: string

  before(async () => {
    // every server answers its status: a spec waits on what each one holds
    const network = await spawnNetwork(3, { http: true })
    servers = network.servers
    stopNetwork = network.stop
    bootstrap = ['--bootstrap', servers[0].multiaddrs[0]]
    dir = await tempDir('weft-cli-resume-')
  })
  after(async () => { await stopNetwork?.() })

  it('a get stopped by SIGINT and then by SIGKILL leaves FILE.partial; the next run rehashes what it has and fetches only the missing blocks', async (t) => {
    const leaves = 24
    const content = randomBytes(leaves * MiB)
    const input = join(dir, 'big.bin')
    await writeFile(input, content)
    const stored = await runWeft(['put', input, ...bootstrap])
    assert.equal(stored.code, 0, stored.stderr)
    const cid = stored.stdout.trim()
    const output = join(dir, 'big.out')
    const partial = `${output}.partial`
    const args = ['get', cid, '-o', output, ...bootstrap]

    // Ctrl-C at about a third: exit 130, the partial kept and said so
    const first = await getInterruptedAt(args, output, Math.floor(leaves / 3) * MiB, 'SIGINT')
    assert.equal(first.code, 130, first.stderr)
    const kept = statSync(partial).size
    assert.ok(kept > 0 && kept < content.byteLength, `${kept} bytes kept`)
    assert.match(first.stderr, new RegExp(`^weft: kept [\\d.]+ MiB in ${partial.replace(/[.]/g, '\\.')}: the same command resumes from it\\nweft: interrupted\\n$`))
    assert.equal(sha256Hex(await readFile(partial)), sha256Hex(content.subarray(0, kept)), 'what was kept is the file\'s first bytes')

    // resumed, then SIGKILLed at about 70 %: nothing runs, the partial stays
    const second = await getInterruptedAt(args, output, Math.ceil(leaves * 0.7) * MiB, 'SIGKILL')
    assert.equal(second.signal, 'SIGKILL')
    const killedAt = statSync(partial).size
    assert.ok(killedAt >= Math.floor(kept / MiB) * MiB && killedAt < content.byteLength, `${killedAt} of ${content.byteLength} bytes when killed`)
    // a leaf cut short by the kill is not trusted: flip a byte inside the last whole one too
    const bytes = await readFile(partial)
    const whole = Math.floor(killedAt / MiB)
    bytes[(whole - 1) * MiB + 17] ^= 0xff
    await writeFile(partial, bytes)

    t.diagnostic(`SIGINT kept ${kept} bytes; SIGKILL at ${killedAt} bytes (${Math.round(100 * killedAt / content.byteLength)} %)`)
    const third = await runWeft(args)
    t.diagnostic(third.stderr.trim())
    assert.equal(third.code, 0, third.stderr)
    assert.equal(sha256Hex(await readFile(output)), sha256Hex(content))
    assert.equal(existsSync(partial), false)
    // the leaves before the flipped one verified; the root and every other leaf fetched
    const verified = whole - 1
    assert.match(third.stderr, new RegExp(`^fetched ${((leaves - verified)).toFixed(1)} MiB to ${output.replace(/[.]/g, '\\.')}, resumed after ${verified.toFixed(1)} MiB already there and verified \\(${1 + leaves - verified} blocks, `), third.stderr)
  })

  it('a put cut short by SIGINT and run again sends only the blocks it had not placed', async () => {
    const content = randomBytes(24 * MiB)
    const before = await Promise.all(servers.map(async s => (await statusWhen(s, () => true)).storage.blocks))
    const putting = spawn(process.execPath, [WEFT_BIN, 'put', '-', ...bootstrap], { stdio: ['pipe', 'ignore', 'pipe'] })
    putting.stdin.on('error', () => {})
    let stderr = ''
    putting.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const exited = new Promise<number | null>(resolve => putting.on('exit', resolve))
    try {
      // two thirds, and then the input stalls: the importer places leaves in
      // batches of 16 (PUT_WINDOW), and these are the first 16
      putting.stdin.write(content.subarray(0, 16 * MiB))
      await Promise.all(servers.map(async (s, i) => statusWhen(s, status => status.storage.blocks >= before[i] + 16, 60_000)))
      putting.kill('SIGINT')
      assert.equal(await exited, 130, stderr)
    } finally {
      putting.kill('SIGKILL')
    }
    const input = join(dir, 'half-placed.bin')
    await writeFile(input, content)
    const again = await runWeft(['put', input, ...bootstrap])
    assert.equal(again.code, 0, again.stderr)
    // 24 leaves and a root: the 16 leaves placed before are not sent again
    assert.match(again.stderr, /^stored 24\.0 MiB in 25 blocks, 3 replicas each \(.*, 8\.0 MiB sent, 16 already stored\)\n$/)
  })
})

describe('what a resumed get trusts of its partial file', () => {
  /** The parts of a file of `leaves` leaves of `size` bytes each. */
  async function * partsOf (content: Uint8Array, size: number): AsyncGenerator<FilePart> {
    for (let offset = 0; offset < content.byteLength; offset += size) {
      const bytes = content.subarray(offset, offset + size)
      yield { kind: 'leaf', cid: CID.createV1(raw.code, await sha256.digest(bytes)), offset, size: bytes.byteLength }
    }
  }

  it('the whole leaves that hash to their CIDs, up to the first that does not; nothing of another file', async () => {
    const dir = await tempDir('weft-prefix-')
    const content = randomBytes(10 * 1000)
    const path = join(dir, 'file.partial')
    // 4 whole leaves and half of the fifth
    await writeFile(path, content.subarray(0, 4500))
    const file = await open(path, 'r')
    try {
      assert.equal(await verifiedPrefix(file, partsOf(content, 1000), 4500), 4000)
      // the third leaf's bytes on disk differ from its CID (here the DAG's byte is flipped): only the first two are trusted
      const flipped = Uint8Array.from(content)
      flipped[2100] ^= 1
      assert.equal(await verifiedPrefix(file, partsOf(flipped, 1000), 4500), 2000)
      assert.equal(await verifiedPrefix(file, partsOf(content.subarray(0, 4500), 1000), 4500), 4500, 'a last leaf shorter than the rest')
      assert.equal(await verifiedPrefix(file, partsOf(randomBytes(10 * 1000), 1000), 4500), 0, 'a partial of another file')
    } finally {
      await file.close()
    }
  })
})
