import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { keepYoungGenerationSmall } from '../src/cli/young-generation.js'

const run = promisify(execFile)
const MODULE = fileURLToPath(new URL('../src/cli/young-generation.js', import.meta.url))

/**
 * The young generation's size in a fresh process after allocating objects
 * that survive (what makes V8 grow it), with or without the CLI's setting.
 */
async function youngGenerationAfterSurvivors (keepSmall: boolean): Promise<number> {
  const script = `
    import { getHeapSpaceStatistics } from 'node:v8'
    if (${String(keepSmall)}) (await import(${JSON.stringify(MODULE)})).keepYoungGenerationSmall(['start'], [], undefined)
    const kept = []
    for (let i = 0; i < 400000; i++) kept.push({ i, s: 'x' + i })
    console.log(getHeapSpaceStatistics().find(s => s.space_name === 'new_space').space_size)`
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script])
  return Number(stdout.trim())
}

describe('a server\'s young generation (cli/young-generation.ts)', () => {
  it('does not grow while objects survive, where V8 by default grows it', async () => {
    const kept = await youngGenerationAfterSurvivors(true)
    const grown = await youngGenerationAfterSurvivors(false)
    assert.ok(kept < grown, `kept small: ${kept} bytes, V8's default: ${grown} bytes`)
  })

  it('leaves a server started with semi-space flags of its own as it is', () => {
    assert.equal(keepYoungGenerationSmall(['start'], ['--max-semi-space-size=64'], undefined), false)
    assert.equal(keepYoungGenerationSmall(['start'], [], '--semi-space-growth-factor=4 --max-old-space-size=512'), false)
    assert.equal(keepYoungGenerationSmall(['start'], [], '--min_semi_space_size=2'), false)
  })

  it('is left out of the other commands, whose start-up it would slow', () => {
    for (const args of [['get', 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku'], ['put', 'file'], ['--version'], []]) {
      assert.equal(keepYoungGenerationSmall(args, [], undefined), false, args.join(' '))
    }
  })
})
