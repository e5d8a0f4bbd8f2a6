import { readFileSync } from 'node:fs'
import { UsageError } from '../errors.js'
import { didYouMean } from '../config/nearest.js'
import type { Command, CommandIO } from './io.js'

/** A command as the help lists it; its code (and with it libp2p) loads only when it runs. */
interface CommandEntry {
  name: string
  /** One line for `weft --help`. */
  summary: string
  load: () => Promise<Command>
}

/**
 * Every command. `weft --version`, `weft --help` and a mistyped command load
 * none of them: importing the node stack alone took most of the 0.9 s
 * `weft --version` took.
 */
export const COMMANDS: readonly CommandEntry[] = [
  { name: 'start', summary: 'run a server node until interrupted', load: async () => (await import('./commands/start.js')).start },
  { name: 'put', summary: 'store a file (or stdin, "-") in the network and print its CID', load: async () => (await import('./commands/put.js')).put },
  { name: 'get', summary: 'fetch a file by CID to stdout or to a file (-o)', load: async () => (await import('./commands/get.js')).get },
  { name: 'stat', summary: 'show a file\'s type, size and blocks by CID (or share link), from the network', load: async () => (await import('./commands/stat.js')).stat },
  { name: 'pin', summary: 'keep a whole file on the server running on --data DIR until unpinned', load: async () => (await import('./commands/pins.js')).pin },
  { name: 'unpin', summary: 'drop a pin on the server running on --data DIR (its blocks stay until gc)', load: async () => (await import('./commands/pins.js')).unpin },
  { name: 'gc', summary: 'free what the server running on --data DIR keeps for no one: cache, and unfinished puts past their lease', load: async () => (await import('./commands/gc.js')).gc },
  { name: 'ls', summary: 'list what the server running on --data DIR keeps, by file where it holds the root', load: async () => (await import('./commands/ls.js')).ls },
  { name: 'rm', summary: 'remove a file from the server running on --data DIR: unpin, release, delete its blocks', load: async () => (await import('./commands/rm.js')).rm },
  { name: 'status', summary: 'show a running server\'s peers and storage (from its HTTP status)', load: async () => (await import('./commands/status.js')).status },
  { name: 'fsck', summary: 'check a stopped server\'s block store: rehash every block, drop damaged ones', load: async () => (await import('./commands/fsck.js')).fsck },
  { name: 'id', summary: 'print the PeerId stored in a data directory', load: async () => (await import('./commands/id.js')).id },
  { name: 'verify', summary: 'count the servers keeping each block of a file (exit 1 below the write quorum)', load: async () => (await import('./commands/verify.js')).verify },
  { name: 'testnet', summary: 'run a network of N server nodes on this machine until interrupted', load: async () => (await import('./commands/testnet.js')).testnet }
]

/**
 * Errors that mean the command line itself is wrong (exit 2): a flag, a
 * setting, or an argument such as a CID that does not parse.
 */
const USAGE_ERRORS = new Set(['UsageError', 'ConfigError', 'InvalidCIDError', 'MissingKeyError', 'InvalidCapabilityError'])

/** The exit code of a command stopped by SIGINT/SIGTERM (128 + SIGINT). */
export const INTERRUPTED = 130

/** The package version, from package.json. */
export function version (): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'))
  return pkg.version
}

function help (): string {
  const width = Math.max(...COMMANDS.map(c => c.name.length))
  return [
    'weft: a hybrid peer-to-peer content network',
    '',
    'usage: weft <command> [flags]',
    '',
    'commands:',
    ...COMMANDS.map(c => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'every setting is also a flag (--relay.max-reservations 64 or --relay.maxReservations 64) and an environment',
    'variable (WEFT_RELAY_MAX_RESERVATIONS=64); see README.md, "Configuration".',
    'weft <command> --help (or weft help <command>) shows a command\'s flags and',
    'every setting with its default; weft --version the version.',
    ''
  ].join('\n')
}

/**
 * Runs the command line and returns the exit code: 0 on success, 2 for a
 * usage or config error (or a malformed CID argument), 130 when interrupted,
 * 1 for any other failure. Errors go to stderr as one line naming what was
 * wrong.
 */
export async function main (argv: string[], io: CommandIO): Promise<number> {
  // `weft help put` is `weft put --help`
  const [name, ...rest] = argv[0] === 'help' && argv.length > 1 ? [argv[1], '--help'] : argv
  let entry: CommandEntry | undefined
  let command: Command | undefined
  try {
    if (name == null || name === '--help' || name === '-h' || name === 'help') {
      io.stdout.write(help())
      return name == null ? 2 : 0
    }
    if (name === '--version' || name === '-v') {
      io.stdout.write(`${version()}\n`)
      return 0
    }
    entry = COMMANDS.find(c => c.name === name)
    if (entry == null) {
      const near = didYouMean(name, COMMANDS.map(c => c.name), n => `"weft ${n}"`)
      throw new UsageError(`unknown command "${name}"${near} (commands: ${COMMANDS.map(c => c.name).join(', ')})`, name)
    }
    command = await entry.load()
    return await command.run(rest, io)
  } catch (err: any) {
    if (err?.name === 'HelpRequested' && entry != null && command != null) {
      const { commandHelp } = await import('./help.js')
      io.stdout.write(commandHelp({ name: entry.name, summary: entry.summary, usage: command.usage, flags: err.flags }))
      return 0
    }
    // whatever a command was doing when asked to stop fails with an abort
    if (io.signal.aborted) {
      io.stderr.write('weft: interrupted\n')
      return INTERRUPTED
    }
    io.stderr.write(`weft: ${err.name === 'Error' || err.name == null ? '' : `${err.name}: `}${err.message}\n`)
    return USAGE_ERRORS.has(err.name) ? 2 : 1
  }
}
