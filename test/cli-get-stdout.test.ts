import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { randomBytes } from 'node:crypto'
import { open, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { removeDir, runWeft, spawnServer, tempDir, WEFT_BIN, type WeftProcess } from './support/weft-process.js'

const MiB = 1_048_576

/** `weft get CID > file` (or `>> file` with flags 'a'), as a shell runs it: the child's stdout is the open file. */
async function getToFile (args: string[], path: string, flags: 'w' | 'a'): Promise<{ code: number | null, stderr: string }> {
  const file = await open(path, flags)
  try {
    const child = spawn(process.execPath, [WEFT_BIN, ...args], { stdio: ['ignore', file.fd, 'pipe'] })
    let stderr = ''
    child.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
    const [code] = await once(child, 'exit') as [number | null]
    return { code, stderr }
  } finally {
    await file.close()
  }
}

describe('weft get CID > file: stdout a regular file, as the benchmark\'s stdout row runs it', () => {
  let server: WeftProcess
  let dir: string
  let bootstrap: string[]
  let cid: string
  let content: Uint8Array

  before(async () => {
    server = await spawnServer()
    dir = await tempDir('weft-cli-get-stdout-')
    bootstrap = ['--bootstrap', server.multiaddrs[0]]
    // several leaves: the file is written in more than one write
    content = randomBytes(5 * MiB + 123)
    const input = join(dir, 'in.bin')
    await writeFile(input, content)
    const put = await runWeft(['put', input, '-q', '--min-replicas', '1', ...bootstrap])
    assert.equal(put.code, 0, put.stderr)
    cid = put.stdout.trim()
  })
  after(async () => {
    await server?.stop()
    await removeDir(dir)
  })

  it('writes the whole file, byte for byte, to a stdout redirected with >', async () => {
    const out = join(dir, 'out.bin')
    // what was there is replaced, as `>` truncates
    await writeFile(out, 'old contents, longer than nothing')
    const got = await getToFile(['get', cid, '-q', ...bootstrap], out, 'w')
    assert.equal(got.code, 0, got.stderr)
    assert.deepEqual(new Uint8Array(await readFile(out)), new Uint8Array(content))
  })

  it('appends after what the file held when stdout is redirected with >>', async () => {
    const out = join(dir, 'appended.bin')
    const head = new TextEncoder().encode('header line\n')
    await writeFile(out, head)
    const got = await getToFile(['get', cid, '-q', ...bootstrap], out, 'a')
    assert.equal(got.code, 0, got.stderr)
    const bytes = new Uint8Array(await readFile(out))
    assert.equal(bytes.byteLength, head.byteLength + content.byteLength)
    assert.deepEqual(bytes.subarray(0, head.byteLength), head)
    assert.deepEqual(bytes.subarray(head.byteLength), new Uint8Array(content))
  })

  it('writes a range (--offset, --length) the same way', async () => {
    const out = join(dir, 'range.bin')
    const got = await getToFile(['get', cid, '-q', '--offset', String(MiB - 7), '--length', String(2 * MiB), ...bootstrap], out, 'w')
    assert.equal(got.code, 0, got.stderr)
    assert.deepEqual(new Uint8Array(await readFile(out)), new Uint8Array(content.subarray(MiB - 7, 3 * MiB - 7)))
  })
})
