import { ConfigError, type ConfigSource } from '../errors.js'
import { GROUPS, SETTINGS, problemWith, settingFor } from './schema.js'
import { didYouMean } from './nearest.js'
import type { WeftConfig, WeftConfigInit } from './config.js'

/** The shortest replica maintenance interval allowed (0 turns it off). */
export const MIN_REPAIR_INTERVAL_MS = 1000

/**
 * Checks a partial config (a file, the options passed to `createNode`): every
 * key must be known and every value valid. Throws a ConfigError naming the
 * first bad key and its value.
 */
export function validateLayer (layer: unknown, source: ConfigSource): WeftConfigInit {
  if (!isPlainObject(layer)) {
    throw new ConfigError('configuration must be a JSON object', '', layer, source)
  }
  for (const [key, value] of Object.entries(layer)) {
    if (GROUPS.has(key)) {
      if (!isPlainObject(value)) {
        throw new ConfigError(`setting "${key}" must be an object`, key, value, source)
      }
      for (const [inner, innerValue] of Object.entries(value)) {
        checkSetting(`${key}.${inner}`, innerValue, source)
      }
    } else {
      checkSetting(key, value, source)
    }
  }
  return layer as WeftConfigInit
}

/** Checks that a merged config is complete and valid. */
export function validateConfig (config: unknown, source: ConfigSource): WeftConfig {
  const layer = validateLayer(config, source)
  for (const setting of SETTINGS) {
    if (getPath(layer, setting.key) === undefined) {
      throw new ConfigError(`setting "${setting.key}" is missing`, setting.key, undefined, source)
    }
  }
  const { storage } = layer as WeftConfig
  if (storage.writeQuorum > storage.replication) {
    throw new ConfigError(`setting "storage.writeQuorum" must not exceed storage.replication (${storage.replication}), got ${storage.writeQuorum}`, 'storage.writeQuorum', storage.writeQuorum, source)
  }
  // a sweep every few ms would only burn CPU: off, or at least a second apart
  if (storage.repairIntervalMs > 0 && storage.repairIntervalMs < MIN_REPAIR_INTERVAL_MS) {
    throw new ConfigError(`setting "storage.repairIntervalMs" must be 0 (off) or at least ${MIN_REPAIR_INTERVAL_MS}, got ${storage.repairIntervalMs}`, 'storage.repairIntervalMs', storage.repairIntervalMs, source)
  }
  return layer as WeftConfig
}

function checkSetting (key: string, value: unknown, source: ConfigSource): void {
  const setting = settingFor(key)
  if (setting == null) {
    throw new ConfigError(`unknown setting "${key}"${didYouMean(key, SETTINGS.map(s => s.key))}`, key, value, source)
  }
  const problem = problemWith(setting, value)
  if (problem != null) {
    throw new ConfigError(`setting "${key}" ${problem}, got ${JSON.stringify(value)}`, key, value, source)
  }
}

/** Later layers win; groups merge key by key, lists are replaced whole. */
export function mergeLayers (...layers: WeftConfigInit[]): WeftConfigInit {
  const out: Record<string, unknown> = {}
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined) continue
      out[key] = isPlainObject(value) && isPlainObject(out[key])
        ? { ...out[key], ...value }
        : value
    }
  }
  return out as WeftConfigInit
}

export function getPath (obj: object, key: string): unknown {
  let here: unknown = obj
  for (const part of key.split('.')) {
    if (!isPlainObject(here)) return undefined
    here = here[part]
  }
  return here
}

export function setPath (obj: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.')
  let here = obj
  for (const part of parts.slice(0, -1)) {
    if (!isPlainObject(here[part])) here[part] = {}
    here = here[part] as Record<string, unknown>
  }
  here[parts[parts.length - 1]] = value
}

function isPlainObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
