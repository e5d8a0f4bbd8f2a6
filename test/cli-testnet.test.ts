import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { after, describe, it } from 'node:test'
import { childPids, isRunning } from './support/pids.js'
import { removeDir, runWeft, tempDir, TEST_HOST, WEFT_BIN } from './support/weft-process.js'

const MiB = 1_048_576

function sha256Hex (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

describe('weft testnet (the command)', () => {
  let dir: string | undefined
  after(async () => { if (dir != null) await removeDir(dir) })

  it('prints a bootstrap address, one line per server and ready; put and get go through it; SIGINT tears it all down', async () => {
    dir = await tempDir('weft-cli-testnet-')
    const child = spawn(process.execPath, [WEFT_BIN, 'testnet', '--servers', '4', '--processes', '2', '--host', TEST_HOST], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const exited = new Promise<number | null>(resolve => child.on('exit', resolve))
    try {
      const lines: string[] = []
      const ready = await new Promise<boolean>(resolve => {
        createInterface({ input: child.stdout }).on('line', line => {
          lines.push(line)
          if (line === 'ready') resolve(true)
        })
        void exited.then(() => { resolve(false) })
      })
      assert.ok(ready, `weft testnet exited before ready: ${stderr}`)
      assert.equal(lines.length, 6, lines.join('\n'))
      const [bootstrap, ...rest] = lines
      const servers = rest.slice(0, 4).map(line => line.split(' '))
      assert.match(bootstrap, new RegExp(`^/ip4/${TEST_HOST.replaceAll('.', '\\.')}/tcp/\\d+/p2p/12D3KooW\\w+$`))
      for (const [peerId, addr] of servers) assert.ok(addr.endsWith(`/p2p/${peerId}`), `${peerId} ${addr}`)
      assert.equal(servers[0][1], bootstrap)

      const workers = childPids(child.pid ?? -1)
      assert.equal(workers.length, 2, `worker processes: ${workers.join(', ')}`)

      const content = randomBytes(2 * MiB)
      const input = join(dir, 'input.bin')
      await writeFile(input, content)
      const stored = await runWeft(['put', input, '--bootstrap', bootstrap])
      assert.equal(stored.code, 0, stored.stderr)
      const cid = stored.stdout.trim()
      const output = join(dir, 'output.bin')
      const fetched = await runWeft(['get', cid, '-o', output, '--bootstrap', servers[3][1]])
      assert.equal(fetched.code, 0, fetched.stderr)
      assert.equal(sha256Hex(await readFile(output)), sha256Hex(content))

      child.kill('SIGINT')
      assert.equal(await exited, 0, stderr)
      assert.deepEqual(workers.filter(isRunning), [], 'no worker outlives weft testnet')
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
    }
  })

  it('refuses a --servers that is not a whole number from 1 to 1000 (exit 2, naming the value)', async () => {
    for (const bad of ['0', '1001', 'many', '2.5', '1e3']) {
      const { code, stdout, stderr } = await runWeft(['testnet', '--servers', bad])
      assert.equal(code, 2, stderr)
      assert.equal(stdout, '')
      assert.equal(stderr, `weft: UsageError: --servers must be a whole number from 1 to 1000, not "${bad}"\n`)
    }
    // a negative number reads as a flag to the parser, which says so
    const negative = await runWeft(['testnet', '--servers', '-3'])
    assert.equal(negative.code, 2, negative.stderr)
    assert.match(negative.stderr, /^weft: UsageError: .*--servers/)
  })
})
