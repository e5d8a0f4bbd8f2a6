import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { TEST_HOST } from './support/weft-process.js'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../../', import.meta.url))

describe('examples', () => {
  it('plain-libp2p: a libp2p app with weftStorage() puts a text and gets it back on another node', async () => {
    const { stdout } = await run(process.execPath, ['examples/plain-libp2p/app.mjs'], {
      cwd: ROOT,
      env: { ...process.env, EXAMPLE_HOST: TEST_HOST },
      timeout: 60_000
    })
    const lines = stdout.trim().split('\n')
    assert.match(lines[0], /^put bafk\S+ \(2 replicas\)$/)
    assert.match(lines[1], /^got hello from 12D3KooW/)
  })
})
