import { readFile, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { UsageError } from '../errors.js'
import { parseBootstrapTarget } from './target.js'

// Finding a server to join without copying its `/ip4/…/p2p/12D3KooW…`
// address by hand: from its HTTP URL or from its data directory.

/** The file `weft start` writes into its data directory once it listens, and removes when it stops. */
export const LISTENING_FILE = 'listening.json'

/** How long a server's HTTP may take to say how to join it. */
export const BOOTSTRAP_FETCH_TIMEOUT_MS = 5_000

/** What `weft start` writes into `<dataDir>/listening.json`. */
export interface ListeningInfo {
  peerId: string
  /** Its listening multiaddrs, each with `/p2p/<id>`. */
  multiaddrs: string[]
  /** The page's URL, when HTTP is on. */
  http?: string
  /** The process, so a reader can tell a file left by a killed server. */
  pid: number
}

export async function writeListeningFile (dataDir: string, info: ListeningInfo): Promise<void> {
  await writeFile(join(dataDir, LISTENING_FILE), `${JSON.stringify(info, null, 2)}\n`)
}

export async function removeListeningFile (dataDir: string): Promise<void> {
  await rm(join(dataDir, LISTENING_FILE), { force: true })
}

/**
 * The multiaddrs of the server running on `dataDir`, or undefined when
 * nothing there says a server runs (no listening file, or one left by a
 * process that is gone).
 */
export async function listeningAddresses (dataDir: string): Promise<string[] | undefined> {
  const info = await listeningInfo(dataDir)
  if (info == null || !Array.isArray(info.multiaddrs) || info.multiaddrs.length === 0) return undefined
  return info.multiaddrs.filter((m): m is string => typeof m === 'string')
}

/** What the server running on `dataDir` wrote at start, or undefined when none runs there. */
export async function listeningInfo (dataDir: string): Promise<Partial<ListeningInfo> | undefined> {
  const text = await readFile(join(dataDir, LISTENING_FILE), 'utf8').catch(() => undefined)
  if (text == null) return undefined
  let info: Partial<ListeningInfo>
  try {
    info = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof info.pid === 'number' && !isRunning(info.pid)) return undefined
  return info
}

function isRunning (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err: any) {
    // EPERM: it runs, as another user
    return err?.code === 'EPERM'
  }
}

/**
 * Asks the weft server at `url` how to join it: its `/weft/bootstrap.json`
 * (the addresses a page dials), and when those are none (a server on TCP
 * only), the listening addresses of its `/weft/status.json`.
 */
export async function bootstrapFromUrl (url: string, signal: AbortSignal): Promise<string[]> {
  let base: URL
  try {
    base = new URL(url)
  } catch {
    throw new UsageError(`--bootstrap "${url}" is not a URL`, url)
  }
  const info = await fetchJson(new URL('/weft/bootstrap.json', base), url, signal)
  const peerId = typeof info?.peerId === 'string' ? info.peerId : undefined
  if (peerId == null) throw new UsageError(`--bootstrap ${url}: ${new URL('/weft/bootstrap.json', base).href} is not a weft server's bootstrap document`, url)
  const withId = (addrs: unknown): string[] => Array.isArray(addrs)
    ? addrs.filter((a): a is string => typeof a === 'string').map(a => a.includes('/p2p/') ? a : `${a}/p2p/${peerId}`)
    : []
  const forPages = withId(info.bootstrap)
  if (forPages.length > 0) return forPages
  const status = await fetchJson(new URL('/weft/status.json', base), url, signal)
  const listening = withId(status?.multiaddrs)
  if (listening.length === 0) throw new UsageError(`--bootstrap ${url}: the server ${peerId} lists no address to dial`, url)
  return listening
}

async function fetchJson (url: URL, given: string, signal: AbortSignal): Promise<any> {
  let response: Response
  try {
    response = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(BOOTSTRAP_FETCH_TIMEOUT_MS)]) })
  } catch (err: any) {
    signal.throwIfAborted()
    const reason = err?.name === 'TimeoutError' ? `no answer in ${BOOTSTRAP_FETCH_TIMEOUT_MS / 1000} s` : err?.cause?.code ?? err?.cause?.message ?? err?.message
    throw new Error(`--bootstrap ${given}: no weft server answers at ${url.origin}: ${reason}`, { cause: err })
  }
  if (!response.ok) throw new Error(`--bootstrap ${given}: ${url.href} answered HTTP ${response.status}: is it a weft server?`)
  try {
    return await response.json()
  } catch {
    throw new Error(`--bootstrap ${given}: ${url.href} is not JSON: is it a weft server?`)
  }
}

/** The addresses of the server running on the data directory `dir`; an error saying why there is none. */
export async function bootstrapFromDataDir (dir: string): Promise<string[]> {
  const found = await listeningAddresses(dir)
  if (found != null) return found
  const hasId = await readFile(join(dir, 'peer-id'), 'utf8').then(() => true, () => false)
  const where = resolve(dir)
  throw new UsageError(hasId
    ? `--bootstrap ${dir}: no server is running on ${where} (start one with "weft start --data ${dir}")`
    : `--bootstrap ${JSON.stringify(dir)} is not a multiaddr (/ip4/HOST/tcp/PORT/p2p/ID), a server's URL (http://HOST:PORT) or a weft data directory`, dir)
}

/** Turns every `--bootstrap` value (multiaddr, URL, data directory) into multiaddrs. */
export async function resolveBootstrapValues (values: string[], signal: AbortSignal): Promise<string[]> {
  const resolved = await Promise.all(values.map(async value => {
    const target = parseBootstrapTarget(value)
    switch (target.kind) {
      case 'multiaddr': return [target.multiaddr]
      case 'url': return bootstrapFromUrl(target.url, signal)
      case 'dir': return bootstrapFromDataDir(target.path)
    }
  }))
  return resolved.flat()
}
