import { defaultsFor } from './defaults.js'
import { mergeLayers, validateConfig, validateLayer } from './validate.js'
import type { Role, WeftConfig, WeftConfigInit } from './config.js'

/**
 * Turns the options given to `createNode` into a full, valid config: the
 * role's defaults, then the options on top.
 */
export function resolveConfig (init: WeftConfigInit, defaultRole: Role): WeftConfig {
  const options = validateLayer(init, 'options')
  const role = options.role ?? defaultRole
  return validateConfig(mergeLayers(defaultsFor(role), options), 'options')
}
