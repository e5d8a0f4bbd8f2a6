import { loadConfig, type ConfigSources } from '../config/load.js'
import { bootstrapFromUrl, listeningAddresses, resolveBootstrapValues } from './find-server.js'
import type { WeftConfig } from '../config/config.js'
import type { CommandIO } from './io.js'

export interface CommandConfigOptions {
  /**
   * With no bootstrap peer configured, join the server running on the data
   * directory (`--data DIR`, `.weft` by default), if one is: `put` and `get`.
   */
  localServer?: boolean
  /** With no bootstrap peer configured, join this server's URL (the one a share link came from). */
  server?: string
}

/**
 * A command's config: `loadConfig` after turning each `--bootstrap` value
 * (and `WEFT_BOOTSTRAP`) that is a server's URL or a data directory into its
 * multiaddrs, so `--bootstrap http://host:8080` and `--bootstrap ./.weft`
 * work wherever a multiaddr does. Config warnings go to stderr.
 */
export async function loadCommandConfig (sources: ConfigSources, io: CommandIO, options: CommandConfigOptions = {}): Promise<WeftConfig> {
  const flags = new Map(sources.flags ?? [])
  const given = flags.get('bootstrap')
  if (given != null) {
    flags.set('bootstrap', { ...given, values: await resolveBootstrapValues(splitList(given.values), io.signal) })
  }
  let env = sources.env
  const fromEnv = env?.WEFT_BOOTSTRAP
  if (fromEnv != null && fromEnv.trim() !== '') {
    env = { ...env, WEFT_BOOTSTRAP: (await resolveBootstrapValues(splitList([fromEnv]), io.signal)).join(',') }
  }
  const config = await loadConfig({
    ...sources,
    flags,
    ...(env != null ? { env } : {}),
    warn: sources.warn ?? (message => { io.stderr.write(`weft: warning: ${message}\n`) })
  })
  if (config.bootstrap.length > 0) return config
  if (options.server != null) return { ...config, bootstrap: await bootstrapFromUrl(options.server, io.signal) }
  if (options.localServer === true) {
    const local = await listeningAddresses(config.dataDir)
    if (local != null) return { ...config, bootstrap: local }
  }
  return config
}

function splitList (values: string[]): string[] {
  return values.flatMap(v => v.split(',')).map(v => v.trim()).filter(v => v.length > 0)
}
