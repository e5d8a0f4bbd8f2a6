import { readFile } from 'node:fs/promises'
import { ConfigError } from '../errors.js'
import { defaultsFor } from './defaults.js'
import { GROUPS, SETTINGS, envNameFor, parseSettingText, settingFor } from './schema.js'
import { didYouMean } from './nearest.js'
import { mergeLayers, setPath, validateConfig, validateLayer } from './validate.js'
import type { Role, WeftConfig, WeftConfigInit } from './config.js'

/** Environment variables that are ours but not settings: the config file, and the test harness's. */
function isOtherVariable (name: string): boolean {
  return name === 'WEFT_CONFIG' || name.startsWith('WEFT_TEST_')
}

export interface ConfigSources {
  /** Path of a JSON config file. */
  file?: string
  /** Usually `process.env`. A `WEFT_*` variable that names no setting is a warning (other tools set such variables too). */
  env?: Record<string, string | undefined>
  /** Settings from the command line: dotted key -> the values given (repeatable flags give several). */
  flags?: Map<string, { flag: string, values: string[] }>
  /** Where warnings go (an unknown `WEFT_*` variable); stderr when not given. */
  warn?: (message: string) => void
}

/**
 * The config of a Node.js process: the role's defaults, then the config file,
 * then environment variables, then flags. Every layer is validated on its own
 * so the error names where a bad value came from.
 */
export async function loadConfig (sources: ConfigSources): Promise<WeftConfig> {
  const fileLayer = sources.file == null ? {} : await readConfigFile(sources.file)
  const envLayer = envToLayer(sources.env ?? {}, sources.warn ?? (message => { process.stderr.write(`weft: warning: ${message}\n`) }))
  const flagLayer = flagsToLayer(sources.flags ?? new Map())
  const role: Role = flagLayer.role ?? envLayer.role ?? fileLayer.role ?? 'server'
  return validateConfig(mergeLayers(defaultsFor(role), fileLayer, envLayer, flagLayer), 'options')
}

async function readConfigFile (path: string): Promise<WeftConfigInit> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err: any) {
    throw new ConfigError(`cannot read config file: ${err.code ?? err.message}`, 'config', path)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err: any) {
    throw new ConfigError(`config file is not valid JSON: ${err.message}`, 'config', path, `file ${path}`)
  }
  return validateLayer(camelCaseKeys(parsed), `file ${path}`)
}

/**
 * A file's keys as settings are named: `write-quorum` and `writeQuorum` are
 * the same setting (flags are kebab-case, the README camelCase).
 */
function camelCaseKeys (parsed: unknown): unknown {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return parsed
  return Object.fromEntries(Object.entries(parsed).map(([key, value]) => {
    const name = toCamelCase(key)
    return [name, GROUPS.has(name) ? camelCaseKeys(value) : value]
  }))
}

/** `write-quorum` -> `writeQuorum`; a camelCase name as it is. */
export function toCamelCase (name: string): string {
  return name.replace(/-+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase())
}

function envToLayer (env: Record<string, string | undefined>, warn: (message: string) => void): WeftConfigInit {
  const byName = new Map(SETTINGS.map(s => [envNameFor(s.key), s]))
  const layer: Record<string, unknown> = {}
  for (const [name, text] of Object.entries(env)) {
    if (!name.startsWith('WEFT_') || text === undefined || isOtherVariable(name)) continue
    const setting = byName.get(name)
    if (setting == null) {
      warn(`ignoring environment variable ${name}: no setting has that name${didYouMean(name, byName.keys(), n => `${n} (${byName.get(n)?.key})`)}`)
      continue
    }
    setPath(layer, setting.key, parseSettingText(setting, text))
    validateLayer(layer, `env ${name}`)
  }
  return layer as WeftConfigInit
}

function flagsToLayer (flags: Map<string, { flag: string, values: string[] }>): WeftConfigInit {
  const layer: Record<string, unknown> = {}
  for (const [key, { flag, values }] of flags) {
    const setting = settingFor(key)
    if (setting == null) {
      throw new ConfigError(`unknown setting "${key}"`, key, values, `flag ${flag}`)
    }
    const parsed = values.map(v => parseSettingText(setting, v))
    const isList = setting.kind === 'multiaddrs' || setting.kind === 'peerMultiaddrs' || setting.kind === 'urls'
    setPath(layer, key, isList ? parsed.flat() : parsed[parsed.length - 1])
    validateLayer(layer, `flag ${flag}`)
  }
  return layer as WeftConfigInit
}
