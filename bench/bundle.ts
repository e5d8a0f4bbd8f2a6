// Item 6, the page's size: what `npm run build` makes for a browser to load
// (esbuild, minified): the page's bundle dist/web/weft.js and its service
// worker dist/web/sw.js, raw and gzipped, summed (target: <= 300 KiB min+gzip).
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { ROOT } from './systems.js'

export interface BundleSize {
  file: string
  minBytes?: number
  gzipBytes?: number
  /** Each file's own sizes. */
  files?: Array<{ file: string, minBytes: number, gzipBytes: number }>
  error?: string
}

/** The files a browser loads, as `npm run build` writes them. */
export const BUNDLE_FILES = ['dist/web/weft.js', 'dist/web/sw.js']

/** Sizes of the built page bundle and its service worker, summed. */
export async function bundleSize (): Promise<BundleSize> {
  const file = BUNDLE_FILES.join(' + ')
  try {
    const files = await Promise.all(BUNDLE_FILES.map(async name => {
      const bytes = await readFile(join(ROOT, name))
      return { file: name, minBytes: bytes.byteLength, gzipBytes: gzipSync(bytes, { level: 9 }).byteLength }
    }))
    return {
      file,
      minBytes: files.reduce((n, f) => n + f.minBytes, 0),
      gzipBytes: files.reduce((n, f) => n + f.gzipBytes, 0),
      files
    }
  } catch (err: any) {
    return { file, error: `${String(err.message)} (run npm run build)` }
  }
}
