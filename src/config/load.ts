import { readFile } from 'node:fs/promises'
import { ConfigError } from '../errors.js'
import { defaultsFor } from './defaults.js'
import { SETTINGS, envNameFor, parseSettingText, settingFor } from './schema.js'
import { mergeLayers, setPath, validateConfig, validateLayer } from './validate.js'
import type { Role, WeftConfig, WeftConfigInit } from './config.js'

/** Environment variables that are ours but not settings: the config file, and the test harness's. */
function isOtherVariable (name: string): boolean {
  return name === 'WEFT_CONFIG' || name.startsWith('WEFT_TEST_')
}

export interface ConfigSources {
  /** Path of a JSON config file. */
  file?: string
  /** Usually `process.env`. Every `WEFT_*` variable must name a setting. */
  env?: Record<string, string | undefined>
  /** Settings from the command line: dotted key -> the values given (repeatable flags give several). */
  flags?: Map<string, { flag: string, values: string[] }>
}

/**
 * The config of a Node.js process: the role's defaults, then the config file,
 * then environment variables, then flags. Every layer is validated on its own
 * so the error names where a bad value came from.
 */
export async function loadConfig (sources: ConfigSources): Promise<WeftConfig> {
  const fileLayer = sources.file == null ? {} : await readConfigFile(sources.file)
  const envLayer = envToLayer(sources.env ?? {})
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
  return validateLayer(parsed, `file ${path}`)
}

function envToLayer (env: Record<string, string | undefined>): WeftConfigInit {
  const byName = new Map(SETTINGS.map(s => [envNameFor(s.key), s]))
  const layer: Record<string, unknown> = {}
  for (const [name, text] of Object.entries(env)) {
    if (!name.startsWith('WEFT_') || text === undefined || isOtherVariable(name)) continue
    const setting = byName.get(name)
    if (setting == null) {
      throw new ConfigError(`unknown environment variable ${name}`, name, text, `env ${name}`)
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
