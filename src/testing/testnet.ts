import { rmSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { TestnetProcess } from './testnet-process.js'
import { TestnetError, type WorkerInit } from './testnet-protocol.js'
import type { WeftConfigInit } from '../config/config.js'
import type { NodeStatus } from '../node/node-types.js'
import type { BlockRole } from '../store/local-blocks.js'
import type { SeededBlocks } from './seeded-blocks.js'

/** How `startTestnet` builds the network. */
export interface TestnetOptions {
  /** How many server nodes to start. */
  servers: number
  /**
   * Over how many child processes the servers are spread, round-robin.
   * Default: min(servers, max(2, 2 × the machine's cores)). `processes ===
   * servers` runs each server in a process of its own.
   */
  processes?: number
  /** The address every server listens on (TCP, ephemeral ports). Default 127.0.0.1. */
  host?: string
  /** Config layered over the server defaults of every node, e.g. `{ storage: { replication: 3 } }`. */
  config?: WeftConfigInit
  /**
   * The directory under which each server gets its data directory
   * (`node-<index>`); kept after `stop()`. Default: a fresh temporary
   * directory, removed by `stop()` (and when the parent process exits).
   */
  dataDir?: string
  /** Keep every server's stores in memory instead of LevelDB and block files on disk. */
  inMemory?: boolean
  /**
   * How long the whole start (or one `addServers`) may take before failing.
   * Default 120 s + 2 s per server: on a loaded 2-core machine, loading the
   * modules of 20 processes alone took 40 s.
   */
  timeoutMs?: number
  /** Aborts the start: everything started so far is torn down. */
  signal?: AbortSignal
}

/** One running server of a testnet. */
export interface TestnetServer {
  /** Its number in the testnet: the order it started in. */
  index: number
  peerId: string
  /** Its listening addresses, each with `/p2p/<id>`. */
  multiaddrs: string[]
  /** Index of the process it runs in. */
  process: number
}

/** A worker process of a testnet. */
export interface TestnetProcessInfo {
  index: number
  pid: number | undefined
  alive: boolean
}

/** How `Testnet.addServers` places the servers it starts. */
export interface AddServersOptions {
  /** Fork this many new processes and start the new servers in them alone, round-robin. Default: none, the processes alive take them. */
  processes?: number
}

/** A running testnet, made by `startTestnet`. */
export interface Testnet {
  /** A multiaddr (with `/p2p/<id>`) of the first server still running: what a client joins through. */
  readonly bootstrap: string
  /** The servers still running, in start order. */
  readonly servers: readonly TestnetServer[]
  readonly processes: readonly TestnetProcessInfo[]
  /** The directory holding the servers' data directories. */
  readonly dataDir: string
  /** Stops one server gracefully (its process keeps running the others). */
  stopServer: (peerId: string) => Promise<void>
  /** SIGKILLs process `index`, as a crash would; resolves with the servers that went with it. */
  killProcess: (index: number) => Promise<TestnetServer[]>
  /**
   * Starts `n` more servers, joined as the first ones were; resolves with them
   * once settled. They go to the processes still alive, unless `processes`
   * asks for that many new processes to hold them (round-robin): with
   * `processes: n` each new server has a process of its own, which
   * `killProcess` can then end alone, as a crash of that one server would.
   */
  addServers: (n: number, options?: AddServersOptions) => Promise<TestnetServer[]>
  /** A server's `status()` (connections, routing table, storage), read in its process. */
  status: (peerId: string) => Promise<NodeStatus>
  /** Stores blocks made from a seed (`seededBlock`) on a server as replicas, as placement would have. */
  seed: (peerId: string, blocks: SeededBlocks) => Promise<void>
  /** What a server keeps of each CID: its role (`replica`, `pinned`, `cache`), or null when it has none. */
  roles: (peerId: string, cids: string[]) => Promise<Array<BlockRole | null>>
  /** For each CID, how many running servers keep it (as a replica or pinned), read in their stores. */
  holderCounts: (cids: string[]) => Promise<number[]>
  /** Stops every server and process and removes temporary directories. Safe to call twice. */
  stop: () => Promise<void>
}

/** kad-dht's bucket size K: no lookup needs a routing table fuller than this. */
const K = 20

/** Each wave of joiners is this fraction of the servers already running (at least 1). */
const WAVE_GROWTH = 0.5

/**
 * At most this many servers join at once. A joiner's self-lookup asks about
 * K peers; on 2 cores more than this at once queues lookups behind each
 * other until dials time out.
 */
const MAX_WAVE = 10

/** Bootstrap peers of a joiner: the first server and this many more, picked at random among the earlier ones. */
const EXTRA_BOOTSTRAP = 2

/** How long a worker may take to stop its servers at `stop()` before it is killed. */
const SHUTDOWN_MS = 15_000

/**
 * Starts a testnet: `servers` real weft server nodes (the `weft start` node:
 * TCP, kad-dht in server mode, replicas, repair; no HTTP), several per child
 * process across `processes` processes, so a 2-core machine holds 100+.
 *
 * Servers join in waves (each half the size of the network so far, at most
 * 10), each bootstrapped off the first server and two random earlier ones.
 * It resolves once the network has settled, awaited over IPC, never slept:
 *
 * 1. every server has finished kad-dht's first self-lookup after joining
 *    (`kad-dht:query:self`), so it knows its neighbourhood and its
 *    neighbours know it; and then
 * 2. every server's routing table holds min(N - 1, K = 20) peers: all the
 *    others in a small network, and in a large one at least a full bucket,
 *    enough for any lookup to start well. A server short of it (it joined
 *    in the same wave as the peers it lacks) dials the servers it lacks,
 *    XOR-closest to it first: what kad-dht's table refresh would find later.
 *
 * Past `timeoutMs` it fails with a TestnetError naming the server that did
 * not join or settle, and tears everything down.
 *
 * @example
 * ```ts
 * const testnet = await startTestnet({ servers: 20, config: { storage: { repairIntervalMs: 2000 } } })
 * try {
 *   // weft put FILE --bootstrap ${testnet.bootstrap}
 * } finally {
 *   await testnet.stop()
 * }
 * ```
 */
export async function startTestnet (options: TestnetOptions): Promise<Testnet> {
  const servers = positiveInteger(options.servers, 'servers')
  const processCount = Math.min(servers, options.processes != null ? positiveInteger(options.processes, 'processes') : Math.max(2, availableParallelism() * 2))
  const net = new RunningTestnet(options, processCount, options.dataDir ?? await mkdtemp(join(tmpdir(), 'weft-testnet-')))
  try {
    await mkdir(net.dataDir, { recursive: true })
    await net.join(servers, options.signal)
    return net
  } catch (err) {
    await net.stop()
    throw options.signal?.aborted === true ? options.signal.reason : err
  }
}

function positiveInteger (value: number, option: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new TestnetError(`${option} must be a positive integer, not ${String(value)}`, value)
  return value
}

class RunningTestnet implements Testnet {
  readonly dataDir: string
  private readonly options: TestnetOptions
  private readonly temporary: boolean
  private readonly procs: TestnetProcess[] = []
  /** How many processes the servers are spread over, once all are forked. */
  private readonly processCount: number
  private readonly running: TestnetServer[] = []
  /** Each process's `init` reply. */
  private readonly inits = new Map<TestnetProcess, Promise<unknown>>()
  private nextIndex = 0
  /** The timeout of the join running now, for error messages. */
  private deadlineMs = 0
  private stopping: Promise<void> | undefined
  private readonly onExit = (): void => { this.killNow() }

  constructor (options: TestnetOptions, processCount: number, dataDir: string) {
    this.options = options
    this.processCount = processCount
    this.dataDir = dataDir
    this.temporary = options.dataDir == null
    // a parent that exits without stop() must not leave servers behind
    process.on('exit', this.onExit)
  }

  get bootstrap (): string {
    const first = this.running[0]
    if (first == null) throw new TestnetError('no server of the testnet is running', this.dataDir)
    return first.multiaddrs[0]
  }

  get servers (): readonly TestnetServer[] {
    return [...this.running]
  }

  get processes (): readonly TestnetProcessInfo[] {
    return this.procs.map(p => ({ index: p.index, pid: p.pid, alive: p.alive }))
  }

  /**
   * Forks processes until there are `count` (at most the testnet's number),
   * without waiting for them: each start awaits only its own process's
   * `init`. Processes are forked as the waves need them, one wave ahead,
   * because 20 processes loading their modules at once take 6 s of 2 cores
   * (40 s on a loaded machine), and the first server would wait for all.
   */
  private ensureProcesses (count: number): void {
    const init = this.initMessage()
    while (this.procs.length < Math.min(count, this.processCount)) this.fork(init)
  }

  private initMessage (): WorkerInit {
    return {
      host: this.options.host ?? '127.0.0.1',
      config: this.options.config ?? {},
      inMemory: this.options.inMemory === true,
      ...(this.temporary ? { removeOnOrphan: this.dataDir } : {})
    }
  }

  private fork (init = this.initMessage()): TestnetProcess {
    const p = new TestnetProcess(this.procs.length)
    this.procs.push(p)
    const ready = p.request({ type: 'init', init })
    // a process that dies before its first start fails that start instead
    ready.catch(() => {})
    this.inits.set(p, ready)
    return p
  }

  /**
   * Starts `n` servers in waves, then waits for the whole network to settle;
   * in the processes of `into`, round-robin, when given.
   */
  async join (n: number, signal?: AbortSignal, into?: TestnetProcess[]): Promise<TestnetServer[]> {
    const timeoutMs = this.options.timeoutMs ?? 120_000 + n * 2000
    const deadline = Date.now() + timeoutMs
    this.deadlineMs = timeoutMs
    const added: TestnetServer[] = []
    while (added.length < n) {
      signal?.throwIfAborted()
      const size = waveSize(n - added.length, this.running.length)
      if (into == null) this.ensureProcesses(this.nextIndex + size + waveSize(n - added.length - size, this.running.length + size))
      // bootstrap peers come from before the wave, so no joiner waits on another joiner
      const before = [...this.running]
      const first = added.length
      const wave = await Promise.all(Array.from({ length: size }, async (_, i) => this.startOne(before, deadline, into?.[(first + i) % into.length])))
      added.push(...wave)
    }
    signal?.throwIfAborted()
    await this.settle(deadline)
    return added
  }

  private async startOne (before: TestnetServer[], deadline: number, into?: TestnetProcess): Promise<TestnetServer> {
    const index = this.nextIndex++
    const proc = into ?? this.processFor(index)
    await within(this.inits.get(proc) ?? Promise.resolve(), deadline, `process ${proc.index} did not load ${this.within()}`, proc.index)
    const node = {
      index,
      dataDir: join(this.dataDir, `node-${index}`),
      bootstrap: bootstrapFor(before),
      removeDataDir: this.temporary
    }
    const started = await within(proc.request({ type: 'start', node }), deadline, `server ${index} did not start ${this.within()}`, index)
    const server: TestnetServer = { ...started, process: proc.index }
    this.running.push(server)
    // the first server has nobody to look up yet: its lookup runs once the next one dials it
    if (before.length > 0) {
      await within(proc.request({ type: 'joined', peerId: server.peerId }), deadline, `server ${index} (${server.peerId}) did not finish its first self-lookup ${this.within()}`, server.peerId)
    }
    return server
  }

  /** Every running server's routing table at min(N - 1, K). */
  private async settle (deadline: number): Promise<void> {
    const count = Math.min(this.running.length - 1, K)
    const peers = this.running.map(s => ({ index: s.index, peerId: s.peerId, multiaddrs: s.multiaddrs }))
    await Promise.all(this.running.map(async s => {
      const timeoutMs = Math.max(1, deadline - Date.now())
      await within(this.proc(s).request({ type: 'settle', peerId: s.peerId, count, peers, timeoutMs }), deadline + 5000, `server ${s.index} (${s.peerId}) did not settle ${this.within()}`, s.peerId)
    }))
  }

  private within (): string {
    return `within the ${Math.round(this.deadlineMs / 1000)} s the testnet had to start (options.timeoutMs)`
  }

  /** Round-robin over the processes still alive. */
  private processFor (index: number): TestnetProcess {
    const alive = this.procs.filter(p => p.alive)
    if (alive.length === 0) throw new TestnetError('every process of the testnet has ended', this.procs.length)
    return alive[index % alive.length]
  }

  private proc (server: TestnetServer): TestnetProcess {
    return this.procs[server.process]
  }

  private find (peerId: string): TestnetServer {
    const server = this.running.find(s => s.peerId === peerId)
    if (server == null) throw new TestnetError(`no running server of the testnet is ${peerId}`, peerId)
    return server
  }

  async stopServer (peerId: string): Promise<void> {
    const server = this.find(peerId)
    await this.proc(server).request({ type: 'stop', peerId })
    this.running.splice(this.running.indexOf(server), 1)
  }

  async killProcess (index: number): Promise<TestnetServer[]> {
    const proc = this.procs[index]
    if (proc == null) throw new TestnetError(`the testnet has no process ${index} (it has ${this.procs.length})`, index)
    await proc.kill()
    const lost = this.running.filter(s => s.process === index)
    for (const s of lost) this.running.splice(this.running.indexOf(s), 1)
    return lost
  }

  async addServers (n: number, options: AddServersOptions = {}): Promise<TestnetServer[]> {
    positiveInteger(n, 'addServers')
    if (options.processes == null) return this.join(n)
    const count = positiveInteger(options.processes, 'addServers processes')
    return this.join(n, undefined, Array.from({ length: Math.min(count, n) }, () => this.fork()))
  }

  async status (peerId: string): Promise<NodeStatus> {
    return this.proc(this.find(peerId)).request({ type: 'status', peerId })
  }

  async seed (peerId: string, blocks: SeededBlocks): Promise<void> {
    await this.proc(this.find(peerId)).request({ type: 'seed', peerId, blocks })
  }

  async roles (peerId: string, cids: string[]): Promise<Array<BlockRole | null>> {
    return this.proc(this.find(peerId)).request({ type: 'roles', peerId, cids })
  }

  async holderCounts (cids: string[]): Promise<number[]> {
    const counts = cids.map(() => 0)
    const roles = await Promise.all(this.running.map(async s => this.roles(s.peerId, cids)))
    for (const held of roles) held.forEach((role, i) => { if (role === 'replica' || role === 'pinned') counts[i]++ })
    return counts
  }

  async stop (): Promise<void> {
    this.stopping ??= this.teardown()
    return this.stopping
  }

  private async teardown (): Promise<void> {
    await Promise.all(this.procs.map(async p => {
      if (!p.alive) return
      // a worker that cannot stop its servers in time is killed: stop() must end
      await within(p.request({ type: 'shutdown' }), Date.now() + SHUTDOWN_MS, `process ${p.index} did not shut down`, p.index).catch(() => {})
      const timer = setTimeout(() => { void p.kill() }, SHUTDOWN_MS)
      await p.exited
      clearTimeout(timer)
    }))
    this.running.length = 0
    if (this.temporary) await rm(this.dataDir, { recursive: true, force: true })
    process.off('exit', this.onExit)
  }

  /** At exit, synchronously: SIGKILL every worker and remove the temporary root. */
  private killNow (): void {
    for (const p of this.procs) if (p.alive) p.child.kill('SIGKILL')
    if (this.temporary) rmSync(this.dataDir, { recursive: true, force: true })
  }
}

/** How many of `left` servers join in the next wave, with `running` there. */
function waveSize (left: number, running: number): number {
  return Math.min(left, MAX_WAVE, Math.max(1, Math.floor(running * WAVE_GROWTH)))
}

/** The first server and EXTRA_BOOTSTRAP random others of `before` (their first addresses). */
function bootstrapFor (before: TestnetServer[]): string[] {
  if (before.length === 0) return []
  const rest = before.slice(1)
  for (let i = rest.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[rest[i], rest[j]] = [rest[j], rest[i]]
  }
  return [before[0], ...rest.slice(0, EXTRA_BOOTSTRAP)].map(s => s.multiaddrs[0])
}

/** `promise`, or a TestnetError `what` (naming `value`) once `deadline` passes. */
async function within<T> (promise: Promise<T>, deadline: number, what: string, value: unknown): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new TestnetError(what, value)) }, Math.max(0, deadline - Date.now()))
  })
  try {
    return await Promise.race([promise, late])
  } finally {
    clearTimeout(timer)
  }
}
