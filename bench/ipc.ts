// A benchmark worker driven over the child_process IPC channel: the parent
// sends typed requests, the worker answers each one (by id) with a value or
// an error. For workers that live through several steps (build, settle, many
// lookups), where peer-io.ts's one task in, one line out is not enough.
import { fork, type ChildProcess } from 'node:child_process'

/** A request as the parent writes it: a `type` and whatever it carries. */
export interface IpcRequest { type: string }

type Envelope = IpcRequest & { id: number }
type Reply = { id: number, ok: true, value: unknown } | { id: number, ok: false, error: string }

/** How much of a worker's stderr is kept for error messages. */
const STDERR_TAIL = 4000

/** A worker failed a request or died; `value` is the worker's index. */
export class IpcWorkerError extends Error {
  override readonly name = 'IpcWorkerError'
  readonly value: number

  constructor (message: string, value: number) {
    super(message)
    this.value = value
  }
}

/** The parent's handle on one worker process. */
export class IpcWorker {
  readonly index: number
  private readonly child: ChildProcess
  private readonly pending = new Map<number, { resolve: (value: any) => void, reject: (err: Error) => void }>()
  private readonly exited: Promise<void>
  private nextId = 0
  private stderr = ''

  /** Forks `script` (a compiled module) with `nodeArgs` such as a heap size. */
  constructor (script: string, index: number, nodeArgs: string[] = []) {
    this.index = index
    this.child = fork(script, [], { execArgv: nodeArgs, serialization: 'json', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] })
    this.child.stderr?.on('data', (d: Buffer) => { this.stderr = (this.stderr + d.toString()).slice(-STDERR_TAIL) })
    this.child.on('message', (reply: Reply) => {
      const p = this.pending.get(reply.id)
      if (p == null) return
      this.pending.delete(reply.id)
      if (reply.ok) p.resolve(reply.value)
      else p.reject(new IpcWorkerError(`worker ${index}: ${reply.error}`, index))
    })
    // a send to a process that just died fails here and in the exit handler
    this.child.on('error', () => {})
    this.exited = new Promise(resolve => {
      this.child.once('exit', (code, signal) => {
        const tail = this.stderr.trim().split('\n').slice(-3).join(' | ')
        for (const p of this.pending.values()) p.reject(new IpcWorkerError(`worker ${index} exited (${code ?? signal ?? '?'}): ${tail}`, index))
        this.pending.clear()
        resolve()
      })
    })
  }

  /** Sends a request; resolves with the worker's answer, or rejects once `timeoutMs` has passed without one. */
  async request<T> (body: IpcRequest, timeoutMs: number): Promise<T> {
    const id = this.nextId++
    let timer: NodeJS.Timeout | undefined
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      timer = setTimeout(() => {
        if (this.pending.delete(id)) reject(new IpcWorkerError(`worker ${this.index}: no answer to ${body.type} within ${Math.round(timeoutMs / 1000)} s`, this.index))
      }, timeoutMs)
      this.child.send({ ...body, id }, err => {
        if (err != null && this.pending.delete(id)) reject(new IpcWorkerError(`worker ${this.index}: cannot send ${body.type}: ${err.message}`, this.index))
      })
    }).finally(() => { clearTimeout(timer) })
  }

  /** Closes the channel (the worker's cue to stop its nodes and exit); SIGKILL after `graceMs`. */
  async stop (graceMs: number): Promise<void> {
    if (this.child.connected) this.child.disconnect()
    const timer = setTimeout(() => { this.child.kill('SIGKILL') }, graceMs)
    await this.exited
    clearTimeout(timer)
  }
}

/**
 * The worker's side: answers every request with `handle`'s value or error.
 * When the channel closes (the parent is done, or died) `cleanup` runs and
 * the process exits: a worker never outlives its benchmark.
 */
export function serveIpc (handle: (request: any) => Promise<unknown>, cleanup: () => Promise<void>, cleanupMs: number): void {
  if (process.send == null) {
    process.stderr.write(`${process.argv[1] ?? 'this worker'} is forked by the benchmark, over an IPC channel\n`)
    process.exit(2)
  }
  process.on('message', (request: Envelope) => {
    handle(request).then(value => {
      if (process.connected) process.send?.({ id: request.id, ok: true, value: value ?? null })
    }, (err: any) => {
      if (process.connected) process.send?.({ id: request.id, ok: false, error: String(err?.message ?? err) })
    })
  })
  process.on('disconnect', () => {
    // libp2p can leave timers behind after stop: they must not keep the worker alive
    setTimeout(() => process.exit(1), cleanupMs).unref()
    cleanup().then(() => process.exit(0), () => process.exit(1))
  })
  // one node's stray rejection (a peer hanging up mid-stream) must not take the others down
  process.on('unhandledRejection', err => { process.stderr.write(`unhandled rejection: ${String((err as any)?.stack ?? err)}\n`) })
}
