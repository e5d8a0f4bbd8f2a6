import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import { SETTINGS, envNameFor, flagNameFor } from '../src/config/schema.js'
import { SETTING_DESCRIPTIONS } from '../src/config/descriptions.js'
import { defaultsFor } from '../src/config/defaults.js'
import { getPath } from '../src/config/validate.js'
import { COMMANDS } from '../src/cli/main.js'
import { runWeft } from './support/weft-process.js'

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

describe('weft <command> --help (made from the settings schema)', () => {
  // each command's help, asked once: it loads the command's code
  const help = new Map<string, { code: number | null, stdout: string }>()
  before(async () => {
    for (const command of COMMANDS) help.set(command.name, await runWeft([command.name, '--help']))
  })
  it('every setting of the schema has a line of meaning', () => {
    const missing = SETTINGS.filter(s => (SETTING_DESCRIPTIONS[s.key] ?? '').trim() === '').map(s => s.key)
    assert.deepEqual(missing, [], 'add them to src/config/descriptions.ts')
    const stale = Object.keys(SETTING_DESCRIPTIONS).filter(key => !SETTINGS.some(s => s.key === key))
    assert.deepEqual(stale, [], 'settings described but not in the schema')
  })

  it('help text lists every setting of the schema, with its meaning, default and variable, for every command', async () => {
    const defaults = defaultsFor('server')
    for (const command of COMMANDS) {
      const { code, stdout } = help.get(command.name)!
      assert.equal(code, 0, command.name)
      for (const s of SETTINGS) {
        const line = stdout.split('\n').findIndex(l => l.trimStart().startsWith(`--${flagNameFor(s.key)} `))
        assert.ok(line >= 0, `weft ${command.name} --help lacks --${flagNameFor(s.key)}`)
        // a long flag puts its meaning on the next line
        const text = stdout.split('\n').slice(line, line + 2).join(' ')
        assert.ok(text.includes(SETTING_DESCRIPTIONS[s.key]), `${s.key}: ${text}`)
        const value = getPath(defaults, s.key)
        const shown = Array.isArray(value) ? (value.length === 0 ? 'none' : value.join(', ')) : String(value)
        assert.match(text, new RegExp(`\\(default ${escape(shown)}[ ;]`), `${s.key}: ${text}`)
        assert.ok(text.includes(envNameFor(s.key)), `${s.key}: ${text}`)
      }
    }
  })

  it('every flag a command takes beyond the settings has a line of meaning', async () => {
    for (const command of COMMANDS) {
      const { stdout } = help.get(command.name)!
      const settingFlags = new Set(SETTINGS.map(s => `--${flagNameFor(s.key)}`))
      const flagLines = stdout.split('\n').filter(l => /^ {2}(-\w, )?--/.test(l) && !settingFlags.has(l.trim().split(' ')[0]))
      assert.ok(flagLines.length >= 3, `${command.name}: ${stdout}`)
      for (const line of flagLines) {
        assert.match(line, /^ {2}\S.*\S {2,}\S/, `weft ${command.name} --help: a flag without meaning: "${line}"`)
      }
    }
  })

  it('put and get list -q, --data and (get) -o/--output', async () => {
    const put = help.get('put')!.stdout
    const get = help.get('get')!.stdout
    for (const text of [put, get]) {
      assert.match(text, /^ {2}-q, --quiet /m)
      assert.match(text, /^ {2}--data DIR /m)
      assert.match(text, /^ {2}--config FILE /m)
    }
    assert.match(get, /^ {2}-o, --output FILE\|DIR\/ /m)
  })

  it('weft help put prints put\'s help, as weft put --help does', async () => {
    const viaHelp = await runWeft(['help', 'put'])
    const viaFlag = help.get('put')!
    assert.equal(viaHelp.code, 0)
    assert.match(viaHelp.stdout, /^weft put: /)
    assert.match(viaHelp.stdout, /usage: weft put FILE\|-/)
    assert.equal(viaHelp.stdout, viaFlag.stdout)
  })

  it('--help wins over a mistyped flag next to it', async () => {
    const { code, stdout } = await runWeft(['get', '--quite', '--help'])
    assert.equal(code, 0)
    assert.match(stdout, /^weft get: /)
  })
})
