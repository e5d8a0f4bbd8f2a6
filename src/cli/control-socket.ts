import { chmod, rm } from 'node:fs/promises'
import { createConnection, createServer, type Server, type Socket } from 'node:net'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import type { WeftNode } from '../index.js'
import type { StorageStats } from '../index.js'
import type { RemovedDag } from '../store/local-blocks.js'
import type { StoreListing } from '../store/store-listing.js'

// How `weft pin`, `unpin`, `gc`, `ls` and `rm` reach the server running on a
// data directory: a Unix socket in that directory, readable by the server's
// user only (mode 0600), so the file system's permissions are the access
// control and nothing listens on the network. One JSON request per
// connection, one JSON line back.

/** The socket `weft start` listens on inside its data directory. */
export const CONTROL_SOCKET = 'control.sock'

/** Unix socket paths longer than this fail to bind on Linux (108 bytes with the terminator) and macOS (104). */
const MAX_SOCKET_PATH = 100

export type ControlRequest =
  | { op: 'pin', cid: string }
  | { op: 'unpin', cid: string }
  | { op: 'gc', unfinished?: boolean }
  | { op: 'ls', limit?: number }
  | { op: 'rm', cid: string }

export interface ControlAnswer {
  /** Bytes freed, for `gc`. */
  freed?: number
  /** What the server holds, for `ls`. */
  listing?: StoreListing
  /** What `rm` deleted. */
  removed?: RemovedDag
  /** The server's storage after the operation. */
  storage: StorageStats
}

/** The socket's path for a data directory; a relative `dataDir` is resolved, as the CLI's is. */
export function controlSocketPath (dataDir: string): string {
  return join(resolve(dataDir), CONTROL_SOCKET)
}

/**
 * Serves control requests for `node` on `<dataDir>/control.sock`. Returns
 * undefined (the CLI's pin/unpin/gc will say no server runs) when the path is
 * too long for a Unix socket.
 */
export async function serveControl (node: WeftNode, dataDir: string): Promise<{ close: () => Promise<void> } | undefined> {
  const path = controlSocketPath(dataDir)
  if (path.length > MAX_SOCKET_PATH || process.platform === 'win32') return undefined
  // the datastore's lock says no other server runs here: a socket file is left from one that was killed
  await rm(path, { force: true })
  const server: Server = createServer(socket => { void answer(node, socket) })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(path, () => { server.off('error', reject); resolve() })
  })
  await chmod(path, 0o600)
  return {
    close: async () => {
      await new Promise<void>(resolve => server.close(() => { resolve() }))
      await rm(path, { force: true })
    }
  }
}

async function answer (node: WeftNode, socket: Socket): Promise<void> {
  socket.on('error', () => {})
  const lines = createInterface({ input: socket })
  const reply = (body: unknown): void => { socket.end(`${JSON.stringify(body)}\n`) }
  for await (const line of lines) {
    try {
      const request = JSON.parse(line) as ControlRequest
      const blocks = node.libp2p.services.storage.blocks
      let freed: number | undefined
      let listing: StoreListing | undefined
      let removed: RemovedDag | undefined
      switch (request.op) {
        case 'pin': await node.pin(request.cid); break
        case 'unpin': await node.unpin(request.cid); break
        case 'gc': freed = await node.gc({ unfinished: request.unfinished === true }); break
        case 'ls': listing = await node.list(request.limit != null ? { limit: request.limit } : {}); break
        case 'rm': removed = await node.remove(request.cid); break
        default: throw new Error(`unknown control operation ${JSON.stringify((request as { op?: unknown }).op)}`)
      }
      reply({ ok: true, answer: { ...(freed != null ? { freed } : {}), ...(listing != null ? { listing } : {}), ...(removed != null ? { removed } : {}), storage: blocks.stats() } satisfies ControlAnswer })
    } catch (err: any) {
      reply({ ok: false, error: { name: err?.name ?? 'Error', message: err?.message ?? String(err) } })
    }
    return
  }
}

/** An error a server answered a control request with, under its own name (`BlockNotFoundError`...). */
class RemoteError extends Error {
  constructor (name: string, message: string) {
    super(message)
    this.name = name
  }
}

/**
 * Sends one request to the server running on `dataDir` and resolves with its
 * answer; rejects with the server's error, or saying no server runs there.
 */
export async function controlRequest (dataDir: string, request: ControlRequest, signal: AbortSignal): Promise<ControlAnswer> {
  const path = controlSocketPath(dataDir)
  const socket = createConnection({ path })
  const onAbort = (): void => { socket.destroy(signal.reason) }
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') {
          reject(new Error(`no server is running on ${dataDir} (${path} does not answer): start one with "weft start --data ${dataDir}", or pass the --data DIR it runs on`))
        } else {
          reject(err)
        }
      })
    })
    socket.write(`${JSON.stringify(request)}\n`)
    for await (const line of createInterface({ input: socket })) {
      const body = JSON.parse(line)
      if (body.ok === true) return body.answer as ControlAnswer
      throw new RemoteError(String(body.error?.name ?? 'Error'), String(body.error?.message ?? 'the server failed'))
    }
    signal.throwIfAborted()
    throw new Error(`the server on ${dataDir} closed the control socket without answering`)
  } finally {
    signal.removeEventListener('abort', onAbort)
    socket.destroy()
  }
}
