import { SETTINGS, envNameFor, flagNameFor, type Setting } from '../config/schema.js'
import { SETTING_DESCRIPTIONS } from '../config/descriptions.js'
import { defaultsFor } from '../config/defaults.js'
import { getPath } from '../config/validate.js'
import { formatBytes } from '../format-bytes.js'
import type { OptionSpec } from './args.js'

// A command's --help, generated from the flags it parses and from the
// settings schema, so neither can drift from what the command accepts.

/** One line per flag that is not a setting; a spec checks every command's flags have one. */
export const FLAG_HELP: Readonly<Record<string, { value?: string, meaning: string }>> = {
  quiet: { meaning: 'no progress bar and no summary line on stderr' },
  output: { value: 'FILE|DIR/', meaning: 'write to FILE (whole or not at all) or into DIR under the file\'s name; "-" for stdout (the default)' },
  offset: { value: 'N', meaning: 'start at byte N' },
  length: { value: 'N', meaning: 'at most N bytes' },
  timings: { meaning: 'print where the time went on stderr: load, node start, join, first byte, transfer, and peak RSS' },
  url: { value: 'URL', meaning: 'the server\'s HTTP address (default: from http.host and http.port)' },
  json: { meaning: 'print the answer as JSON' },
  'min-replicas': { value: 'N', meaning: 'replicas every block needs for the put to succeed, fewer than storage.writeQuorum on purpose' },
  servers: { value: 'N', meaning: 'how many servers' },
  processes: { value: 'P', meaning: 'how many processes they run in (default: twice the CPUs)' },
  host: { value: 'H', meaning: 'address the servers listen on (default 127.0.0.1)' },
  memory: { meaning: 'keep the servers\' stores in memory, not on disk' },
  config: { value: 'FILE', meaning: 'a JSON config file (also WEFT_CONFIG); keys camelCase or kebab-case' },
  data: { value: 'DIR', meaning: 'the data directory (the dataDir setting)' },
  help: { meaning: 'this help' },
  encrypt: { meaning: 'encrypt before anything leaves this machine (a fresh key per file); prints a link with the key in its fragment, the capability weft:<cid>#k=<key> with --quiet (docs/encryption.md)' },
  convergent: { meaning: 'with --encrypt: derive the key from the content and <dataDir>/convergence-secret, so the same file gets the same CID (read docs/encryption.md first)' },
  page: { value: 'URL', meaning: 'with --encrypt: the page the printed link opens (default the first bootstrap server\'s)' },
  limit: { value: 'N', meaning: 'list at most N files, largest first (0: all; default 20, all with --json)' },
  unfinished: { meaning: 'also free the blocks of puts not finished yet, however young their lease (a put under way or run again sends them again)' }
}

export interface HelpInput {
  name: string
  summary: string
  usage: string
  /** The flags the command parses beyond the settings. */
  flags: OptionSpec
}

/** The text of `weft <command> --help`. */
export function commandHelp ({ name, summary, usage, flags }: HelpInput): string {
  const common: OptionSpec = { data: { type: 'string' }, config: { type: 'string' }, help: { type: 'boolean', short: 'h' } }
  const own = Object.entries(flags).filter(([flag]) => !(flag in common))
  const rows = (entries: Array<[string, OptionSpec[string]]>): Array<[string, string]> => entries.map(([flag, spec]) => {
    const help = FLAG_HELP[flag]
    const value = spec.type === 'string' ? ` ${help?.value ?? 'VALUE'}` : ''
    return [`${spec.short != null ? `-${spec.short}, ` : ''}--${flag}${value}`, help?.meaning ?? '']
  })
  const defaults = defaultsFor('server')
  const settingRows = SETTINGS.map((s): [string, string] => [
    `--${flagNameFor(s.key)} ${valueName(s)}`,
    `${SETTING_DESCRIPTIONS[s.key] ?? ''} (default ${shownDefault(s, getPath(defaults, s.key))}; ${envNameFor(s.key)})`
  ])
  return [
    `weft ${name}: ${summary}`,
    '',
    `usage: ${usage}`,
    '',
    ...(own.length > 0 ? ['flags:', ...table(rows(own)), ''] : []),
    ...table(rows(Object.entries(common))),
    '',
    'settings (each also --camelCase as in config files, e.g. --storage.writeQuorum; lists take the flag again or commas):',
    ...table(settingRows),
    ''
  ].join('\n')
}

function table (rows: Array<[string, string]>): string[] {
  const width = Math.min(40, Math.max(...rows.map(([left]) => left.length)))
  return rows.map(([left, right]) => left.length > width ? `  ${left}\n  ${''.padEnd(width)}  ${right}` : `  ${left.padEnd(width)}  ${right}`)
}

function valueName (setting: Setting): string {
  switch (setting.kind) {
    case 'integer': return 'N'
    case 'boolean': return 'true|false'
    case 'role': return 'server|browser'
    case 'multiaddrs': return 'MULTIADDR'
    case 'peerMultiaddrs': return 'MULTIADDR|URL|DIR'
    case 'urls': return 'URL'
    case 'host': return 'HOST'
    case 'protocol': return 'PROTOCOL'
    default: return 'TEXT'
  }
}

/** A default as a person reads it: `10737418240 (10.0 GiB)`, `600000 (10 min)`, `none`. */
function shownDefault (setting: Setting, value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.join(', ')
  if (typeof value === 'number') {
    if (/Bytes(PerSecond)?$|chunkSize$/.test(setting.key) && value >= 1024) return `${value} = ${formatBytes(value)}${setting.key.endsWith('PerSecond') ? '/s' : ''}`
    if (setting.key.endsWith('Ms') && value >= 1000) return `${value} = ${value % 60_000 === 0 ? `${value / 60_000} min` : `${value / 1000} s`}`
  }
  return String(value)
}
