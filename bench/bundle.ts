// Item 6, the page's size: what `npm run build` makes for a browser to load
// (esbuild, minified) when the page opens: its bundle dist/web/weft.js, the
// chunks that imports statically (the build splits: code a page runs only
// sometimes sits in chunks loaded when first used, not counted here), and its
// service worker dist/web/sw.js, raw and gzipped per file, summed (target:
// <= 300 KiB min+gzip).
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
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

/** The files a browser loads first, as `npm run build` writes them. */
export const BUNDLE_FILES = ['dist/web/weft.js', 'dist/web/sw.js']

/** `entry` and every chunk it imports statically, transitively (esbuild writes `import … from "./chunks/…"`). */
async function withStaticImports (entry: string): Promise<string[]> {
  const seen = new Set<string>()
  const visit = async (name: string): Promise<void> => {
    if (seen.has(name)) return
    seen.add(name)
    const text = await readFile(join(ROOT, name), 'utf8')
    for (const m of text.matchAll(/(?:^|[;}])\s*import(?:[^"'()]*?from)?\s*"(\.[^"]+)"/g)) await visit(join(dirname(name), m[1]))
  }
  await visit(entry)
  return [...seen]
}

/** Sizes of what the page loads when it opens and of its service worker, summed. */
export async function bundleSize (): Promise<BundleSize> {
  const file = `${BUNDLE_FILES.join(' + ')} + the chunks weft.js imports`
  try {
    const names = [...await withStaticImports(BUNDLE_FILES[0]), ...BUNDLE_FILES.slice(1)]
    const files = await Promise.all(names.map(async name => {
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
