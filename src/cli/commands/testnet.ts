import { availableParallelism } from 'node:os'
import { parseCommandLine } from '../args.js'
import { loadConfig } from '../../config/load.js'
import { UsageError } from '../../errors.js'
import { startTestnet } from '../../testing/testnet.js'
import type { Command } from '../io.js'

/** More servers than this is a typo, not a testnet one machine can hold. */
export const MAX_TESTNET_SERVERS = 1000

/** Servers when `--servers` is not given. */
const DEFAULT_SERVERS = 5

const FLAGS = {
  servers: { type: 'string' },
  processes: { type: 'string' },
  host: { type: 'string' },
  memory: { type: 'boolean' }
} as const

/**
 * `weft testnet`: starts a network of real server nodes on this machine,
 * several per process (src/testing/testnet.ts), and runs it until
 * SIGINT/SIGTERM. Prints a bootstrap multiaddr, then `peerId multiaddr` per
 * server, then `ready`; tears everything down and exits 0 when interrupted.
 */
export const testnet: Command = {
  name: 'testnet',
  usage: `weft testnet [--servers N (1-${MAX_TESTNET_SERVERS}, default ${DEFAULT_SERVERS})] [--processes P] [--host H] [--data DIR] [--memory] [--config FILE] [--<setting> VALUE]...`,
  async run (args, io) {
    const cli = parseCommandLine(args, io.env, FLAGS)
    if (cli.help) {
      io.stdout.write(`${testnet.usage}\n`)
      return 0
    }
    const servers = count(cli.extra.servers, '--servers', DEFAULT_SERVERS, MAX_TESTNET_SERVERS)
    const processes = count(cli.extra.processes, '--processes', undefined, MAX_TESTNET_SERVERS)
    const host = typeof cli.extra.host === 'string' ? cli.extra.host : '127.0.0.1'
    // every setting given (file, env, flags) goes to every server; the
    // testnet sets each one's listen address, data directory and bootstrap
    const config = await loadConfig(cli.sources)
    const dataDir = cli.sources.flags?.get('dataDir')?.values.at(-1) ?? io.env.WEFT_DATA_DIR
    if (io.isTTY?.stderr === true) {
      const spread = Math.min(servers, processes ?? Math.max(2, availableParallelism() * 2))
      io.stderr.write(`starting ${servers} server${servers === 1 ? '' : 's'} in ${spread} process${spread === 1 ? '' : 'es'}${dataDir != null ? `, data in ${dataDir}` : ''}\n`)
    }
    const net = await startTestnet({
      servers,
      ...(processes != null ? { processes } : {}),
      host,
      config,
      ...(dataDir != null ? { dataDir } : {}),
      inMemory: cli.extra.memory === true,
      signal: io.signal
    })
    try {
      const lines = [net.bootstrap, ...net.servers.map(s => `${s.peerId} ${s.multiaddrs[0]}`), 'ready']
      io.stdout.write(lines.map(line => `${line}\n`).join(''))
      if (!io.signal.aborted) {
        await new Promise(resolve => io.signal.addEventListener('abort', resolve, { once: true }))
      }
    } finally {
      await net.stop()
    }
    return 0
  }
}

/** A flag's whole number from 1 to `max` (else a UsageError naming it), or `fallback` when the flag is absent. */
function count<T extends number | undefined> (value: unknown, flag: string, fallback: T, max: number): number | T {
  if (value === undefined) return fallback
  const text = String(value)
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max) {
    throw new UsageError(`${flag} must be a whole number from 1 to ${max}, not ${JSON.stringify(text)}`, text)
  }
  return Number(text)
}
