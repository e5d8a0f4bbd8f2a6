// Spawning the benchmark's peers: every seeder and fetcher is a Node process
// of its own on 127.0.0.1, talking to the orchestrator in JSON lines.
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { SINGLE_THREADED_GC } from '../src/cli/gc-thread.js'
import { YOUNG_GENERATION_FLAG } from '../src/cli/young-generation.js'

/** A seeder that printed its ready line and keeps serving until released. */
export interface RunningPeer {
  /** The ready line: addresses and whatever the fetcher needs. */
  info: Record<string, unknown>
  /** Closes the peer's stdin (its signal to stop) and waits for it to exit. */
  release: () => Promise<void>
}

/** Node with more heap than the default, for the large files and networks. */
const NODE_ARGS = ['--max-old-space-size=8192']

/** How a peer process is started. */
export interface StartOptions {
  /** A command the peer runs under, e.g. `['ip', 'netns', 'exec', name]` for a seeder in a namespace of its own. */
  prefix?: string[]
  /** Node.js flags beside the heap size (a server's: `SERVER_NODE_FLAGS`). */
  nodeArgs?: string[]
}

/**
 * The V8 flags a `weft start` process runs with (the CLI gives them to
 * itself: src/cli/gc-thread.ts, young-generation.ts), for a bench process
 * that stands for such a server (the page server): its rows then show the
 * server users run, not V8's defaults.
 */
export const SERVER_NODE_FLAGS = [SINGLE_THREADED_GC, YOUNG_GENERATION_FLAG]

function start (script: string, task: object, options: StartOptions = {}): { child: ChildProcess, firstLine: Promise<Record<string, unknown>>, stderr: () => string } {
  const command = [...(options.prefix ?? []), process.execPath, ...NODE_ARGS, ...(options.nodeArgs ?? []), script, JSON.stringify(task)]
  const child = spawn(command[0], command.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000) })
  const firstLine = new Promise<Record<string, unknown>>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    lines.once('line', line => {
      try { resolve(JSON.parse(line)) } catch { reject(new Error(`not JSON: ${line}`)) }
    })
    child.once('exit', code => { reject(new Error(`${script} exited (${code}) before reporting: ${stderr.trim().split('\n').slice(-3).join(' | ')}`)) })
  })
  return { child, firstLine, stderr: () => stderr }
}

async function withDeadline<T> (promise: Promise<T>, ms: number, child: ChildProcess, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${what} took longer than ${Math.round(ms / 1000)} s`))
    }, ms)
  })
  try {
    return await Promise.race([promise, deadline])
  } finally {
    clearTimeout(timer)
  }
}

function failed (info: Record<string, unknown>): Error | undefined {
  return info.ok === false ? new Error(String(info.error ?? 'failed').split('\n')[0]) : undefined
}

/** Starts a seeder and resolves once it reports ready. */
export async function startPeer (script: string, task: object, timeoutMs: number, options: StartOptions = {}): Promise<RunningPeer> {
  const { child, firstLine } = start(script, task, options)
  const exited = new Promise<void>(resolve => { child.once('exit', () => { resolve() }) })
  const release = async (): Promise<void> => {
    child.stdin?.end()
    // a peer that ignores its stdin is killed after a grace period
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }
  try {
    const info = await withDeadline(firstLine, timeoutMs, child, `starting ${script}`)
    const err = failed(info)
    if (err != null) throw err
    return { info, release }
  } catch (err) {
    await release()
    throw err
  }
}

/** Runs a peer to completion (a fetcher, a worker) and returns its result line. */
export async function runPeer<T = Record<string, unknown>> (script: string, task: object, timeoutMs: number): Promise<T> {
  const { child, firstLine } = start(script, task)
  child.stdin?.end()
  const exited = new Promise<void>(resolve => { child.once('exit', () => { resolve() }) })
  try {
    const info = await withDeadline(firstLine, timeoutMs, child, script.split('/').pop() ?? script)
    const err = failed(info)
    if (err != null) throw err
    return info as T
  } finally {
    await exited
  }
}
