import { parseArgs } from 'node:util'
import { UsageError } from '../errors.js'
import { SETTINGS, flagNameFor } from '../config/schema.js'
import type { ConfigSources } from '../config/load.js'

/** Flags that are short names for settings. */
const ALIASES: Record<string, string> = { data: 'dataDir' }

type OptionSpec = Record<string, { type: 'string' | 'boolean', multiple?: boolean, short?: string }>

/** Every setting as a flag (`--relay.max-reservations 64`), plus `--config`, `--data`, `--help`. */
export const SETTING_FLAGS: OptionSpec = Object.fromEntries([
  ...SETTINGS.map(s => [flagNameFor(s.key), { type: 'string', multiple: true }] as const),
  ...Object.keys(ALIASES).map(a => [a, { type: 'string', multiple: true }] as const),
  ['config', { type: 'string' }],
  ['help', { type: 'boolean', short: 'h' }]
])

export interface ParsedCommandLine {
  help: boolean
  positionals: string[]
  sources: ConfigSources
  /** Flags that are not settings, by name. */
  extra: Record<string, string | boolean | Array<string | boolean> | undefined>
}

/**
 * Parses a command's arguments. Unknown flags and missing values are
 * UsageErrors naming the flag; setting values are checked later, by the config
 * loader, which names the setting.
 */
export function parseCommandLine (args: string[], env: Record<string, string | undefined>, extraFlags: OptionSpec = {}, allowPositionals = false): ParsedCommandLine {
  let parsed
  try {
    parsed = parseArgs({ args, options: { ...SETTING_FLAGS, ...extraFlags }, allowPositionals, strict: true })
  } catch (err: any) {
    throw new UsageError(err.message.replace(/\. To specify a positional argument.*$/s, '').replace(/\s*\n\s*/g, ' '), args.join(' '))
  }
  const byFlag = new Map(SETTINGS.map(s => [flagNameFor(s.key), s.key]))
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
