// One worker process of a testnet as the parent sees it: the child, its
// pending requests, how it ended.
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { TestnetError, type ReplyValues, type RequestBody, type WorkerReply, type WorkerRequest } from './testnet-protocol.js'

/** The compiled worker module, next to this one in dist. */
const WORKER = fileURLToPath(new URL('./testnet-worker.js', import.meta.url))

/** How much of a worker's stderr is kept for error messages. */
const STDERR_TAIL = 4000

/** A running (or ended) testnet worker process. */
export class TestnetProcess {
  readonly index: number
  readonly child: ChildProcess
  /** Resolves with the exit code (or the signal's name) once the process has ended. */
  readonly exited: Promise<number | string>
  private readonly pending = new Map<number, { resolve: (value: any) => void, reject: (err: Error) => void, type: string }>()
  private nextId = 0
  private stderr = ''
  private ended = false

  constructor (index: number) {
    this.index = index
    // execArgv: [] so a parent run with `--test` or an inspector does not pass them on
    this.child = fork(WORKER, [], { execArgv: [], serialization: 'json', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] })
    this.child.stderr?.on('data', (d: Buffer) => { this.stderr = (this.stderr + d.toString()).slice(-STDERR_TAIL) })
    this.child.on('message', (reply: WorkerReply) => { this.onReply(reply) })
    this.exited = new Promise(resolve => {
      this.child.once('exit', (code, signal) => {
        this.ended = true
        const how = code ?? signal ?? 'unknown'
        for (const [, p] of this.pending) p.reject(this.died(`exited (${how}) during ${p.type}`))
        this.pending.clear()
        resolve(how)
      })
    })
    // a send to a process that just died fails here, and in the exit handler above
    this.child.on('error', () => {})
  }

  get pid (): number | undefined {
    return this.child.pid
  }

  /** Whether the process is still running. */
  get alive (): boolean {
    return !this.ended
  }

  /** Sends one request and resolves with the worker's reply value, or rejects with its error. */
  async request<T extends RequestBody> (body: T): Promise<ReplyValues[T['type']]> {
    if (this.ended) throw this.died(`has exited; cannot ${body.type}`)
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, type: body.type })
      this.child.send({ ...body, id } as WorkerRequest, err => {
        if (err != null && this.pending.delete(id)) reject(this.died(`could not be sent ${body.type}: ${err.message}`))
      })
    })
  }

  /** SIGKILL, as a crash would end it; resolves once it has exited. */
  async kill (): Promise<void> {
    if (!this.ended) this.child.kill('SIGKILL')
    await this.exited
  }

  private onReply (reply: WorkerReply): void {
    const p = this.pending.get(reply.id)
    if (p == null) return
    this.pending.delete(reply.id)
    if (reply.ok) {
      p.resolve(reply.value)
      return
    }
    const err = new TestnetError(`testnet process ${this.index}: ${reply.error.name}: ${reply.error.message}`, reply.error.value ?? this.index)
    p.reject(err)
  }

  private died (what: string): TestnetError {
    const tail = this.stderr.trim().split('\n').slice(-5).join(' | ')
    return new TestnetError(`testnet process ${this.index} (pid ${this.pid ?? '?'}) ${what}${tail === '' ? '' : `; its stderr: ${tail}`}`, this.index)
  }
}
