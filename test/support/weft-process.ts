import { spawn, type ChildProcess } from 'node:child_process'
import { createReadStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { statusWhen } from './status.js'
import { WEFT_BIN } from './weft-bin.js'

/** The CLI as users run it, `weft`: the file package.json's `bin` names (the bundle `npm run build` makes, rebuilt if older than dist/src). */
export { WEFT_BIN }

/** Where test servers listen: 198.18.0.1 inside the test network namespace, else 127.0.0.1. */
export const TEST_HOST = process.env.WEFT_TEST_HOST ?? '127.0.0.1'

export interface WeftProcess {
  process: ChildProcess
  peerId: string
  dataDir: string
  /** The listening multiaddrs it printed, each with `/p2p/<id>`. */
  multiaddrs: string[]
  /** The page's URL, when HTTP is on. */
  httpUrl?: string
  /** Everything it wrote to stderr so far. */
  stderr: () => string
  /** SIGTERM, then the exit code. */
  stop: () => Promise<number | null>
}

export interface SpawnOptions {
  dataDir?: string
  host?: string
  /** Listen on WebSockets and WebRTC-direct as well as TCP. */
  browserTransports?: boolean
  http?: boolean
  bootstrap?: string[]
  args?: string[]
  env?: Record<string, string>
  /** Node.js's own flags, before the CLI's script (`node --flag weft.js start`). */
  nodeArgs?: string[]
}

/** Runs `weft` with arguments and collects its output. */
export async function runWeft (args: string[], env: Record<string, string> = {}): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const child = spawn(process.execPath, [WEFT_BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const code = await new Promise<number | null>(resolve => child.on('exit', resolve))
  return { code, stdout, stderr }
}

export async function tempDir (prefix = 'weft-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix))
}

/**
 * Starts `weft start` as a separate process on the test host with ephemeral
 * ports, and resolves once it printed `ready`.
 */
export async function spawnServer (options: SpawnOptions = {}): Promise<WeftProcess> {
  const host = options.host ?? TEST_HOST
  const dataDir = options.dataDir ?? await tempDir()
  const listen = [`/ip4/${host}/tcp/0`]
  if (options.browserTransports === true) {
    listen.push(`/ip4/${host}/tcp/0/ws`, `/ip4/${host}/udp/0/webrtc-direct`)
  }
  const args = ['start', '--data', dataDir, ...listen.flatMap(l => ['--listen', l])]
  for (const b of options.bootstrap ?? []) args.push('--bootstrap', b)
  args.push('--http.enabled', String(options.http === true), '--http.host', host, '--http.port', '0')
  args.push(...(options.args ?? []))
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), WEFT_BIN, ...args], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const exited = new Promise<number | null>(resolve => child.on('exit', code => { resolve(code) }))
  const lines: string[] = []
  const ready = await new Promise<boolean>((resolve) => {
    const rl = createInterface({ input: child.stdout })
    rl.on('line', line => {
      if (line === 'ready') { resolve(true); return }
      lines.push(line)
    })
    void exited.then(() => { resolve(false) })
  })
  if (!ready) {
    throw new Error(`weft start exited before ready: ${stderr}`)
  }
  const multiaddrs = lines.filter(l => l.startsWith('/'))
  const httpUrl = lines.find(l => l.startsWith('http://'))
  const peerId = multiaddrs[0].split('/p2p/').pop() ?? ''
  return {
    process: child,
    peerId,
    dataDir,
    multiaddrs,
    ...(httpUrl != null ? { httpUrl } : {}),
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM')
      return exited
    }
  }
}

/**
 * Starts n servers, each bootstrapped off the first, and resolves once the
 * first has every other server in its DHT routing table: "ready" only means
 * listening, and a lookup that starts before the joins settle can miss a
 * server nobody has learned of yet.
 */
export async function spawnNetwork (n: number, options: SpawnOptions = {}): Promise<{ servers: WeftProcess[], stop: () => Promise<void> }> {
  const first = await spawnServer({ ...options, http: true })
  const rest = await Promise.all(Array.from({ length: n - 1 }, async () => spawnServer({ ...options, bootstrap: [first.multiaddrs[0], ...(options.bootstrap ?? [])] })))
  const servers = [first, ...rest]
  const stop = async (): Promise<void> => { await Promise.all(servers.map(async s => s.stop())) }
  try {
    await statusWhen(first, status => status.routingTableSize >= n - 1)
  } catch (err) {
    await stop()
    throw err
  }
  return { servers, stop }
}

export async function removeDir (dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true })
}

export interface PipedRun {
  code: number | null
  /** stdout as bytes, for commands that write binary. */
  stdout: Buffer
  stderr: string
}

/**
 * Runs `weft` with bytes, or a file's content (`inputFile`), piped to its
 * stdin, and collects stdout as bytes.
 */
export async function runWeftPiped (args: string[], options: { input?: Uint8Array, inputFile?: string, env?: Record<string, string> } = {}): Promise<PipedRun> {
  const child = spawn(process.execPath, [WEFT_BIN, ...args], { env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] })
  const stdout: Buffer[] = []
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => { stdout.push(d) })
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  // a command that exits without reading all of its input closes the pipe early
  child.stdin.on('error', () => {})
  if (options.inputFile != null) {
    createReadStream(options.inputFile).pipe(child.stdin)
  } else {
    child.stdin.end(options.input ?? new Uint8Array(0))
  }
  const code = await new Promise<number | null>(resolve => child.on('close', resolve))
  return { code, stdout: Buffer.concat(stdout), stderr }
}
