import { UsageError } from '../errors.js'

// What people paste on a command line, as strings: the CID (and the name it
// was shared under) in a share link or an IPFS address, and where a
// `--bootstrap` value points. No I/O and no CID parsing here: the CID is
// checked by parseCidString, which names what is wrong with it.

/** What `weft get` was asked for. */
export interface GetTarget {
  /** The CID as written (not yet checked). */
  cid: string
  /** The file's name, when the link carries one (`#/<cid>/<name>`, `?filename=`). */
  name?: string
  /** The weft server whose page or gateway the link came from (`http://host:8080/`). */
  server?: string
}

/**
 * Reads `weft get`'s argument: a bare CID, the page's share link
 * (`http://host:8080/#/<cid>/<name>`), a gateway URL
 * (`http://host/ipfs/<cid>`), an IPFS path (`/ipfs/<cid>`) or an IPFS URL
 * (`ipfs://<cid>`). A path below the CID (`/ipfs/<cid>/dir/file`) is a
 * UsageError: weft get fetches one file by its own CID.
 */
export function parseGetTarget (text: string): GetTarget {
  const trimmed = text.trim()
  if (/^https?:\/\//i.test(trimmed)) return fromHttpUrl(trimmed, text)
  const ipfsUrl = /^ipfs:\/\/(.*)$/i.exec(trimmed)
  if (ipfsUrl != null) return fromIpfsPath(ipfsUrl[1], text)
  const ipfsPath = /^\/ipfs\/(.*)$/.exec(trimmed)
  if (ipfsPath != null) return fromIpfsPath(ipfsPath[1], text)
  return { cid: trimmed }
}

function fromHttpUrl (trimmed: string, text: string): GetTarget {
  let url: URL
  try {
    url = new URL(trimmed)
  } catch {
    throw new UsageError(`"${text}" is not a URL weft get can read`, text)
  }
  const fragment = /^#\/([^/]+)(?:\/(.*))?$/.exec(url.hash)
  if (fragment != null) {
    // the page's share link: the page is served by a weft server
    const server = new URL(url.pathname, url.origin).href
    const name = fragment[2] == null || fragment[2] === '' ? undefined : decodeName(fragment[2])
    return { cid: fragment[1], ...(name != null ? { name } : {}), server }
  }
  const gateway = /^\/ipfs\/(.*)$/.exec(url.pathname)
  if (gateway != null) {
    const target = fromIpfsPath(gateway[1], text)
    const filename = url.searchParams.get('filename')
    return { ...target, ...(filename != null && filename !== '' ? { name: filename } : {}), server: `${url.origin}/` }
  }
  throw new UsageError(`"${text}" names no file: expected a share link (http://HOST:PORT/#/CID/NAME) or a gateway URL (http://HOST/ipfs/CID)`, text)
}

/** `<cid>`, `<cid>/`, or `<cid>/<path>` (refused), after `/ipfs/` or `ipfs://`. */
function fromIpfsPath (rest: string, text: string): GetTarget {
  const [cid, ...path] = rest.split(/[?#]/)[0].split('/')
  if (cid === '') throw new UsageError(`"${text}" has no CID after /ipfs/`, text)
  if (path.some(part => part !== '')) {
    throw new UsageError(`"${text}" names a path inside ${cid}: weft get fetches a file by its own CID, give that instead`, text)
  }
  return { cid }
}

function decodeName (encoded: string): string {
  try {
    return decodeURIComponent(encoded)
  } catch {
    return encoded
  }
}

/** Where a `--bootstrap` value points. */
export type BootstrapTarget =
  | { kind: 'multiaddr', multiaddr: string }
  /** A weft server's HTTP address: its `/weft/bootstrap.json` says how to join it. */
  | { kind: 'url', url: string }
  /** The data directory of a server running on this machine: its listening file says where it is. */
  | { kind: 'dir', path: string }

/** The protocols a dialable multiaddr starts with; any other value is a path or a URL. */
const MULTIADDR_START = /^\/(ip4|ip6|dns|dns4|dns6|dnsaddr|p2p|unix)(\/|$)/

/**
 * Reads one `--bootstrap` value: a multiaddr (`/ip4/…/p2p/<id>`), a server's
 * HTTP URL (`http://host:8080`, a bare `host:8080` too), or a data directory.
 */
export function parseBootstrapTarget (text: string): BootstrapTarget {
  const trimmed = text.trim()
  if (MULTIADDR_START.test(trimmed)) return { kind: 'multiaddr', multiaddr: trimmed }
  if (/^https?:\/\//i.test(trimmed)) return { kind: 'url', url: trimmed }
  // `localhost:8080`, `192.168.1.5:8080`: a host and a port, no scheme
  if (/^[A-Za-z0-9.-]+:\d{1,5}$/.test(trimmed) || /^\[[0-9a-fA-F:.]+\]:\d{1,5}$/.test(trimmed)) return { kind: 'url', url: `http://${trimmed}` }
  return { kind: 'dir', path: trimmed }
}
