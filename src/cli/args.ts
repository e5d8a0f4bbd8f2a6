import { parseArgs } from 'node:util'
import { UsageError } from '../errors.js'
import { SETTINGS, flagNameFor } from '../config/schema.js'
import { didYouMean } from '../config/nearest.js'
import type { ConfigSources } from '../config/load.js'

/** Flags that are short names for settings. */
const ALIASES: Record<string, string> = { data: 'dataDir' }

export type OptionSpec = Record<string, { type: 'string' | 'boolean', multiple?: boolean, short?: string }>

/**
 * Every setting as a flag, kebab-case as flags are (`--relay.max-reservations
 * 64`) and camelCase as the README and config files name it
 * (`--relay.maxReservations 64`), plus `--config`, `--data`, `--help`.
 */
export const SETTING_FLAGS: OptionSpec = Object.fromEntries([
  ...SETTINGS.flatMap(s => [...new Set([flagNameFor(s.key), s.key])].map(name => [name, { type: 'string', multiple: true }] as const)),
  ...Object.keys(ALIASES).map(a => [a, { type: 'string', multiple: true }] as const),
  ['config', { type: 'string' }],
  ['help', { type: 'boolean', short: 'h' }]
])

/**
 * Thrown by parseCommandLine for `--help`/`-h`: main prints the command's
 * help, made from `flags` (what the command parses beyond the settings) and
 * the settings schema, so the help lists exactly what the command accepts.
 */
export class HelpRequested extends Error {
  static override readonly name = 'HelpRequested'
  override readonly name = 'HelpRequested'
  readonly flags: OptionSpec

  constructor (flags: OptionSpec) {
    super('help requested')
    this.flags = flags
  }
}

export interface ParsedCommandLine {
  help: boolean
  positionals: string[]
  sources: ConfigSources
  /** Flags that are not settings, by name. */
  extra: Record<string, string | boolean | Array<string | boolean> | undefined>
}

/**
 * Parses a command's arguments. Unknown flags and missing values are
 * UsageErrors naming the flag (and the nearest one, for a typo); `--help`
 * throws HelpRequested; setting values are checked later, by the config
 * loader, which names the setting.
 */
export function parseCommandLine (args: string[], env: Record<string, string | undefined>, extraFlags: OptionSpec = {}, allowPositionals = false): ParsedCommandLine {
  // before parsing, so `weft put --help --quite` still helps
  const end = args.indexOf('--')
  if ((end < 0 ? args : args.slice(0, end)).some(a => a === '--help' || a === '-h')) throw new HelpRequested(extraFlags)
  let parsed
  try {
    parsed = parseArgs({ args, options: { ...SETTING_FLAGS, ...extraFlags }, allowPositionals, strict: true })
  } catch (err: any) {
    const message = String(err.message).replace(/\. To specify a positional argument.*$/s, '').replace(/\s*\n\s*/g, ' ')
    const unknown = /^Unknown option '--?([^']+)'/.exec(message)?.[1]
    const hint = unknown == null ? '' : didYouMean(unknown, [...Object.keys(SETTING_FLAGS), ...Object.keys(extraFlags)].filter(n => !/[A-Z]/.test(n)), n => `--${n}`)
    throw new UsageError(`${message}${hint}`, unknown ?? args.join(' '))
  }
  const byFlag = new Map(SETTINGS.flatMap(s => [[flagNameFor(s.key), s.key], [s.key, s.key]]))
  const flags: NonNullable<ConfigSources['flags']> = new Map()
  const extra: ParsedCommandLine['extra'] = {}
  for (const [name, value] of Object.entries(parsed.values)) {
    const key = ALIASES[name] ?? byFlag.get(name)
    if (key == null) {
      extra[name] = value
      continue
    }
    const previous = flags.get(key)?.values ?? []
    flags.set(key, { flag: `--${name}`, values: [...previous, ...(value as string[])] })
  }
  const file = (parsed.values.config as string | undefined) ?? env.WEFT_CONFIG
  return {
    help: parsed.values.help === true,
    positionals: parsed.positionals,
    sources: { ...(file != null ? { file } : {}), env, flags },
    extra
  }
}
