import * as dagPb from '@ipld/dag-pb'
import { UnixFS } from 'ipfs-unixfs'
import { base32 } from 'multiformats/bases/base32'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { blockKey } from './store-keys.js'
import type { BlockRole } from './block-role.js'
import type { AbortOptions } from '@libp2p/interface'

// What a server keeps, grouped by file where it knows the root (`weft ls`).
// The store knows blocks by multihash only, with a flag saying whether each
// links to others: the dag-pb blocks are read (inner nodes and small files,
// about one per 170 leaves of a 1 MiB-chunk file), nothing else is.

/** A block's role as `ls` tells it: a replica whose put has not finished is `provisional`. */
export type ListedRole = BlockRole | 'provisional'

/** A stored block's record as the listing reads it. */
export interface ListedRecord {
  key: string
  size: number
  role: BlockRole
  /** A replica stored by a put not finished yet (docs/storage.md, "Unfinished puts"). */
  provisional: boolean
  /** Whether it links to others (dag-pb); undefined for records written before the store kept it. */
  links?: boolean
}

/** What the listing reads the store through. */
export interface ListingSource {
  records: () => Iterable<ListedRecord>
  /** The block's bytes, checked, or undefined when they cannot be read now. */
  read: (key: string, size: number) => Promise<Uint8Array | undefined>
}

export interface ListOptions extends AbortOptions {
  /** Most files listed, largest first (default all); `files` in the answer says how many there are. */
  limit?: number
}

/** Blocks and bytes, by the role they are held in. */
export interface BlockCounts {
  blocks: number
  bytes: number
  /** Blocks by role. */
  roles: Partial<Record<ListedRole, number>>
}

/** A file (or directory) whose root is held here. */
export interface ListedFile {
  /** The root's CID (CIDv1, dag-pb: the store knows multihashes). */
  cid: string
  /** `file`, `directory` or another UnixFS type; `dag-pb` for a node without UnixFS data. */
  type: string
  /** The file's size in bytes (a directory: its DAG's, from its links). */
  size: number
  /** The root block's role here. */
  role: ListedRole
  /** Blocks of its DAG known here (below inner nodes not held, the count stops). */
  blocks: number
  /** Of those, held here, with their bytes and roles. */
  held: BlockCounts
  /** A directory's entries (the first 20), by name. */
  entries?: Array<{ name: string, cid: string }>
  /** How many entries a directory has. */
  entryCount?: number
}

/** `ls`'s answer. */
export interface StoreListing {
  /** Files whose root is held here, largest first (up to `limit`). */
  files: ListedFile[]
  /** How many such files there are in all. */
  fileCount: number
  /** Blocks held here that no listed file reaches. */
  loose: BlockCounts
  /** Every block held here. */
  total: BlockCounts
}

/** Blocks of unknown codec (records written before the flag) at most this large are read to see whether they are dag-pb. */
export const PROBE_BYTES = 64 * 1024

const ENTRIES_SHOWN = 20

interface Node {
  links: dagPb.PBLink[]
  type: string
  size: number
}

/** Lists what `source` holds (see `StoreListing`). */
export async function listStore (source: ListingSource, options: ListOptions = {}): Promise<StoreListing> {
  const records = new Map<string, ListedRecord>()
  for (const record of source.records()) records.set(record.key, record)
  const nodes = new Map<string, Node>()
  const linked = new Set<string>()
  for (const record of records.values()) {
    options.signal?.throwIfAborted()
    if (record.links === false || (record.links == null && record.size > PROBE_BYTES)) continue
    const bytes = await source.read(record.key, record.size)
    const node = bytes == null ? undefined : decodeNode(bytes)
    if (node == null) continue
    nodes.set(record.key, node)
    for (const link of node.links) {
      const key = blockKey(link.Hash)
      if (key !== record.key) linked.add(key)
    }
  }
  const covered = new Set<string>()
  const files: ListedFile[] = []
  for (const [key, node] of nodes) {
    if (linked.has(key)) continue
    files.push(describe(key, node, records, nodes, covered))
  }
  files.sort((a, b) => b.size - a.size || (a.cid < b.cid ? -1 : 1))
  const loose = emptyCounts()
  const total = emptyCounts()
  for (const record of records.values()) {
    count(total, record)
    if (!covered.has(record.key)) count(loose, record)
  }
  return { files: files.slice(0, options.limit ?? files.length), fileCount: files.length, loose, total }
}

function describe (rootKey: string, root: Node, records: Map<string, ListedRecord>, nodes: Map<string, Node>, covered: Set<string>): ListedFile {
  const held = emptyCounts()
  const seen = new Set<string>([rootKey])
  const queue = [rootKey]
  for (let i = 0; i < queue.length; i++) {
    const key = queue[i]
    const record = records.get(key)
    if (record != null) {
      count(held, record)
      covered.add(key)
    }
    for (const link of nodes.get(key)?.links ?? []) {
      const child = blockKey(link.Hash)
      if (seen.has(child)) continue
      seen.add(child)
      queue.push(child)
    }
  }
  const rootRecord = records.get(rootKey)
  const file: ListedFile = {
    cid: CID.createV1(dagPb.code, Digest.decode(base32.decode(rootKey))).toString(),
    type: root.type,
    size: root.size,
    role: rootRecord == null ? 'cache' : listedRole(rootRecord),
    blocks: seen.size,
    held
  }
  if (root.type === 'directory' || root.type === 'hamt-sharded-directory') {
    file.entryCount = root.links.length
    file.entries = root.links.slice(0, ENTRIES_SHOWN).map(link => ({ name: link.Name ?? '', cid: link.Hash.toString() }))
  }
  return file
}

function decodeNode (bytes: Uint8Array): Node | undefined {
  let node: dagPb.PBNode
  try {
    node = dagPb.decode(bytes)
  } catch {
    return undefined
  }
  const linkSizes = node.Links.reduce((sum, link) => sum + (link.Tsize ?? 0), 0)
  if (node.Data == null) return { links: node.Links, type: 'dag-pb', size: linkSizes }
  try {
    const unixfs = UnixFS.unmarshal(node.Data)
    const size = unixfs.type === 'file' || unixfs.type === 'raw' ? Number(unixfs.fileSize()) : linkSizes
    return { links: node.Links, type: unixfs.type, size }
  } catch {
    return { links: node.Links, type: 'dag-pb', size: linkSizes }
  }
}

function listedRole (record: ListedRecord): ListedRole {
  return record.provisional ? 'provisional' : record.role
}

function emptyCounts (): BlockCounts {
  return { blocks: 0, bytes: 0, roles: {} }
}

function count (counts: BlockCounts, record: ListedRecord): void {
  counts.blocks++
  counts.bytes += record.size
  const role = listedRole(record)
  counts.roles[role] = (counts.roles[role] ?? 0) + 1
}
