/**
 * Directories in the page: several files shared as one UnixFS directory
 * (one link), and a directory link listed with each entry's name, size and
 * type. Each entry's own link (`#/<cid>/<name>`) opens it as any shared file
 * is opened: played as it streams, previewed or downloaded.
 */
import * as dagPb from '@ipld/dag-pb'
import { UnixFS } from 'ipfs-unixfs'
import { CID } from 'multiformats/cid'
import { DirectorySource, type WeftNode } from '../src/index.js'
import { typeOfName } from './media-type.js'
import { shareHash } from './share-link.js'
import { byId, formatBytes, plural, show } from './view.js'

/** An entry of a listed directory. */
export interface ListedEntry {
  name: string
  cid: string
  /** File size; undefined for a subdirectory. */
  size?: number
  directory: boolean
}

/** The files a person picked or dropped, as one directory (paths kept for a picked folder). */
export function directoryOf (files: File[]): DirectorySource {
  return new DirectorySource(files.map(file => ({ path: file.webkitRelativePath !== '' ? file.webkitRelativePath : file.name, content: file })))
}

/** Whether a read failed because the CID is a directory, not a file. */
export function isDirectory (err: any): boolean {
  return err?.name === 'NotAFileError' && /UnixFS (directory|hamt-sharded-directory)/.test(String(err.message))
}

/** The entries of directory `cid`: its root block's links, and each file's size from its own root. */
export async function listDirectory (node: WeftNode, cid: string, signal: AbortSignal): Promise<ListedEntry[]> {
  const root = CID.parse(cid)
  const blocks = node.libp2p.services.storage.blocksOf(root, { signal })
  const pb = dagPb.decode(await blocks.get(root, { signal }))
  const unixfs = UnixFS.unmarshal(pb.Data ?? new Uint8Array())
  if (unixfs.type !== 'directory') throw new Error(`${cid} is a ${unixfs.type}: only plain directories are listed (not sharded ones of thousands of entries)`)
  return Promise.all(pb.Links.map(async link => {
    const child = link.Hash.toString()
    const name = link.Name ?? child
    try {
      return { name, cid: child, size: (await node.open(child, { signal }).stat({ signal })).size, directory: false }
    } catch (err: any) {
      if (isDirectory(err)) return { name, cid: child, directory: true }
      throw err
    }
  }))
}

/** Shows directory `cid` in the "Get a file" section. */
export async function showDirectory (node: WeftNode, cid: string, name: string, signal: AbortSignal): Promise<void> {
  const result = byId('get-result')
  show(result, 'pending', `${name}: a directory, listing it…`)
  const entries = await listDirectory(node, cid, signal)
  if (signal.aborted) return
  const list = document.createElement('ul')
  list.className = 'listing'
  list.setAttribute('aria-label', `files in ${name}`)
  for (const entry of entries) {
    const li = document.createElement('li')
    li.dataset.name = entry.name
    li.dataset.cid = entry.cid
    const open = Object.assign(document.createElement('a'), { href: shareHash({ cid: entry.cid, name: entry.name }), textContent: entry.name })
    const what = entry.directory ? 'folder' : `${formatBytes(entry.size ?? 0)}${typeOfName(entry.name) != null ? `, ${typeOfName(entry.name) ?? ''}` : ''}`
    li.append(open, Object.assign(document.createElement('span'), { className: 'where', textContent: ` ${what}` }))
    list.append(li)
  }
  byId('get-progress').hidden = true
  byId('preview').replaceChildren(list)
  const total = entries.reduce((n, e) => n + (e.size ?? 0), 0)
  show(result, 'ok', `${name}: ${plural(entries.length, 'file')} (${formatBytes(total)}); open one to play or download it`)
}
