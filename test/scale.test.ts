// Issue 12's scale specs: 10 and 20 server processes (each server its own
// OS process, stores on disk), three puts of 32 MiB in a row, each through a
// different server as a user runs `weft put`, right after the testnet is up,
// each reaching the write quorum, sending each byte about once (the first
// holder forwards), and got back byte-identical through another server.
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { startTestnet, type Testnet } from '../src/testing/index.js'
import { removeDir, runWeft, tempDir, TEST_HOST } from './support/weft-process.js'

const MiB = 1_048_576

/** storage.writeQuorum's default: every block must reach it. */
const WRITE_QUORUM = 3

/** The replica count of `weft put`'s summary line ("stored 32.0 MiB in 33 blocks, 3 replicas each, … (…, 32.0 MiB sent)"), or undefined. */
function replicasOf (stderr: string): number | undefined {
  const match = /, (\d+) replicas? each[, ]/.exec(stderr)
  return match == null ? undefined : Number(match[1])
}

/** The MiB the uploader sent, from the same line, or undefined. */
function sentMiBOf (stderr: string): number | undefined {
  const match = /, ([\d.]+) MiB sent[,)]/.exec(stderr)
  return match == null ? undefined : Number(match[1])
}

function sha256Hex (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/**
 * Network sizes: 10 and 20 server processes, each server its own process.
 * `WEFT_TEST_SCALE_SERVERS=10,20,30 npm test` runs others. Bigger networks
 * are the benchmark's (`npm run bench -- --only scale`: 5, 20 and 50).
 */
const SIZES = (process.env.WEFT_TEST_SCALE_SERVERS ?? '10,20').split(',').map(Number)

for (const servers of SIZES) {
  describe(`${servers} server processes: three 32 MiB puts in a row`, () => {
    let net: Testnet
    let dir: string

    before(async () => {
      dir = await tempDir('weft-scale-')
      const started = performance.now()
      net = await startTestnet({ servers, processes: servers, host: TEST_HOST })
      process.stderr.write(`# ${servers} servers ready in ${((performance.now() - started) / 1000).toFixed(1)} s\n`)
    })
    after(async () => {
      await net?.stop()
      await removeDir(dir)
    })

    for (let i = 0; i < 3; i++) {
      it(`put ${i + 1} through one server reaches ${WRITE_QUORUM} replicas per block; get through another gives it back`, { timeout: 240_000 }, async () => {
        // through different servers spread over the network
        const through = net.servers[Math.floor(i * servers / 3)]
        const from = net.servers[(Math.floor(i * servers / 3) + 1) % net.servers.length]
        const content = randomBytes(32 * MiB)
        const input = join(dir, `input-${i}.bin`)
        await writeFile(input, content)

        const started = performance.now()
        const stored = await runWeft(['put', input, '--bootstrap', through.multiaddrs[0]])
        const putSeconds = (performance.now() - started) / 1000
        process.stderr.write(`# ${servers} servers, put ${i + 1} via server ${through.index}: exit ${String(stored.code)} after ${putSeconds.toFixed(1)} s: ${stored.stderr.trim()}\n`)
        assert.equal(stored.code, 0, `weft put exited ${String(stored.code)}: ${stored.stderr}`)
        const replicas = replicasOf(stored.stderr)
        assert.ok(replicas != null && replicas >= WRITE_QUORUM, `every block needs ${WRITE_QUORUM} replicas; weft put said: ${stored.stderr.trim()}`)
        // five copies pushed from here would be 160 MiB: the first holder
        // forwards, so the uploader sends each byte about once
        const sent = sentMiBOf(stored.stderr)
        assert.ok(sent != null, `weft put names the bytes it sent: ${stored.stderr.trim()}`)
        assert.ok(sent < 2 * 32, `the uploader sent each byte about once; weft put said: ${stored.stderr.trim()}`)

        const output = join(dir, `output-${i}.bin`)
        const fetched = await runWeft(['get', stored.stdout.trim(), '-o', output, '--bootstrap', from.multiaddrs[0]])
        process.stderr.write(`# ${servers} servers, get ${i + 1} via server ${from.index}: exit ${String(fetched.code)}: ${fetched.stderr.trim()}\n`)
        assert.equal(fetched.code, 0, fetched.stderr)
        assert.equal(sha256Hex(await readFile(output)), sha256Hex(content))
      })
    }
  })
}
