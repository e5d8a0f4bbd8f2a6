// Item 6, the page's size: dist/web/weft.js as `npm run build` makes it
// (esbuild, minified), raw and gzipped.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { ROOT } from './systems.js'

export interface BundleSize {
  file: string
  minBytes?: number
  gzipBytes?: number
  error?: string
}

/** Sizes of the built page bundle. */
export async function bundleSize (): Promise<BundleSize> {
  const file = join(ROOT, 'dist', 'web', 'weft.js')
  try {
    const bytes = await readFile(file)
    return { file: 'dist/web/weft.js', minBytes: bytes.byteLength, gzipBytes: gzipSync(bytes, { level: 9 }).byteLength }
  } catch (err: any) {
    return { file: 'dist/web/weft.js', error: `${String(err.message)} (run npm run build)` }
  }
}
