import { stat } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { UsageError } from '../errors.js'

/**
 * Where `weft get -o PATH` writes, checked before anything is fetched: a
 * directory (an existing one, or any PATH ending in `/`) means the file's
 * name inside it (`name`: the name a share link gave, else the CID); any
 * other PATH must be in a directory that exists. UsageError naming PATH
 * otherwise, instead of failing with EISDIR or ENOENT after the download.
 */
export async function resolveOutputPath (path: string, name: string): Promise<string> {
  const isDir = await kindOf(path)
  if (path.endsWith('/') || isDir === 'directory') {
    if (isDir !== 'directory') {
      throw new UsageError(`-o ${path}: no such directory ${JSON.stringify(resolve(path))}`, path)
    }
    return join(path, safeFileName(name))
  }
  const parent = dirname(resolve(path))
  const parentKind = await kindOf(parent)
  if (parentKind !== 'directory') {
    throw new UsageError(`-o ${path}: ${parentKind == null ? 'no such directory' : 'not a directory'} ${JSON.stringify(parent)}`, path)
  }
  return path
}

/** A name from a link, as a file name in the directory: no path in it, never empty or `..`. */
export function safeFileName (name: string): string {
  const base = basename(name.replace(/\\/g, '/'))
  return base === '' || base === '.' || base === '..' ? 'download' : base
}

async function kindOf (path: string): Promise<'directory' | 'other' | undefined> {
  try {
    return (await stat(path)).isDirectory() ? 'directory' : 'other'
  } catch {
    return undefined
  }
}
