import { readFileSync } from 'node:fs'
import { UsageError } from '../errors.js'
import { get } from './commands/get.js'
import { id } from './commands/id.js'
import { put } from './commands/put.js'
import { start } from './commands/start.js'
import { status } from './commands/status.js'
import { testnet } from './commands/testnet.js'
import type { Command, CommandIO } from './io.js'

export const COMMANDS: readonly Command[] = [start, put, get, status, id, testnet]

/**
 * Errors that mean the command line itself is wrong (exit 2): a flag, a
 * setting, or an argument such as a CID that does not parse.
 */
const USAGE_ERRORS = new Set(['UsageError', 'ConfigError', 'InvalidCIDError'])

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
    'every setting is also a flag (--relay.max-reservations 64) and an environment',
    'variable (WEFT_RELAY_MAX_RESERVATIONS=64); see README.md, "Configuration".',
    'weft <command> --help shows a command\'s flags; weft --version the version.',
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
  const [name, ...rest] = argv
  try {
    if (name == null || name === '--help' || name === '-h' || name === 'help') {
      io.stdout.write(help())
      return name == null ? 2 : 0
    }
    if (name === '--version' || name === '-v') {
      io.stdout.write(`${version()}\n`)
      return 0
    }
    const command = COMMANDS.find(c => c.name === name)
    if (command == null) {
      throw new UsageError(`unknown command "${name}" (commands: ${COMMANDS.map(c => c.name).join(', ')})`, name)
    }
    return await command.run(rest, io)
  } catch (err: any) {
    // whatever a command was doing when asked to stop fails with an abort
    if (io.signal.aborted) {
      io.stderr.write('weft: interrupted\n')
      return INTERRUPTED
    }
    io.stderr.write(`weft: ${err.name === 'Error' || err.name == null ? '' : `${err.name}: `}${err.message}\n`)
    return USAGE_ERRORS.has(err.name) ? 2 : 1
  }
}
