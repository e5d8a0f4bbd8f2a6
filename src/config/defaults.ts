import browser from '../../config/browser.json' with { type: 'json' }
import server from '../../config/server.json' with { type: 'json' }
import { validateConfig } from './validate.js'
import type { Role, WeftConfig } from './config.js'

/** The shipped defaults of a role, from `config/<role>.json`. */
export function defaultsFor (role: Role): WeftConfig {
  const defaults = role === 'server' ? server : browser
  return validateConfig(structuredClone(defaults), 'defaults')
}
