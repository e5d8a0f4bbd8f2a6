// Runs the `weft` CLI as a user runs it: a fresh process, timed from spawn
// to exit, with what it wrote to stdout and stderr.
import { spawn } from 'node:child_process'
import { WEFT_BIN } from '../test/support/weft-bin.js'
import { parseTimings, type CliPhases } from './cli-timings.js'

/** The CLI as users run it: the file package.json's `bin` names (the bundle `npm run build` makes, rebuilt if older than dist/src). */
export { WEFT_BIN }

/** One CLI run. */
export interface CliRun {
  code: number | null
  ms: number
  stdout: string
  stderr: string
}

/**
 * Runs `weft <args>` (`bin`: another build's CLI); a run still going after
 * `timeoutMs` is killed (and shows as code null). `stdoutFd`: the child's
 * stdout is that open file, as a shell's `> file` makes it (its `stdout`
 * then reads empty).
 */
export async function runCli (args: string[], timeoutMs: number, bin = WEFT_BIN, stdoutFd?: number): Promise<CliRun> {
  const started = performance.now()
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', stdoutFd ?? 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const code = await new Promise<number | null>(resolve => child.on('exit', resolve))
  clearTimeout(timer)
  return { code, ms: performance.now() - started, stdout, stderr }
}

/** The last line a run wrote to stderr: the CLI's summary or its error. */
export function lastLine (text: string): string {
  return text.trim().split('\n').pop() ?? ''
}

/** Where a CLI get's time went, from its --timings line (ms), and its CPU. */
export type GetTimings = CliPhases & { cpu: number }

/** The --timings line of a `weft get`, or an error naming what it printed instead. */
export function getTimings (stderr: string): GetTimings {
  const { phases, cpuMs } = parseTimings(stderr)
  return { ...phases, cpu: cpuMs }
}
