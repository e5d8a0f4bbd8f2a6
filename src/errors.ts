/**
 * Errors thrown by weft. Each has a fixed `name` so callers can branch on
 * `err.name` (the js-libp2p convention), and carries the offending value.
 */

/** Where a configuration value came from, so an error can point at it. */
export type ConfigSource = 'defaults' | 'options' | `file ${string}` | `env ${string}` | `flag ${string}`

/**
 * A setting is unknown, has the wrong type, or an invalid value. `key` is the
 * dotted path of the setting (`relay.maxReservations`), `value` what was given.
 */
export class ConfigError extends Error {
  static override readonly name = 'ConfigError'
  override readonly name = 'ConfigError'
  readonly key: string
  readonly value: unknown
  readonly source: ConfigSource | undefined

  constructor (message: string, key: string, value: unknown, source?: ConfigSource) {
    super(source == null ? message : `${message} (from ${source})`)
    this.key = key
    this.value = value
    this.source = source
  }
}

/** A command line could not be understood: unknown command or flag, missing argument. */
export class UsageError extends Error {
  static override readonly name = 'UsageError'
  override readonly name = 'UsageError'
  readonly value: string | undefined

  constructor (message: string, value?: string) {
    super(message)
    this.value = value
  }
}

/** The node's data directory or database could not be opened (locked by another process, unreadable). */
export class StorageOpenError extends Error {
  static override readonly name = 'StorageOpenError'
  override readonly name = 'StorageOpenError'
  readonly location: string

  constructor (message: string, location: string, options?: ErrorOptions) {
    super(message, options)
    this.location = location
  }
}
