// Bundles the page: dist/web/main.js (compiled by tsc) -> dist/web/weft.js, and
// copies the static files. esbuild honours package.json's `browser` field, which
// swaps in the `.browser.js` twins of the few environment-specific modules.
import { build } from 'esbuild'
import { copyFile, mkdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const out = join(root, 'dist', 'web')
await mkdir(out, { recursive: true })
const common = {
  bundle: true,
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  metafile: false,
  logLevel: 'warning'
}
// the service worker, at the root of the site so that its scope covers the
// stream and download URLs; a classic script, which every browser can register
await build({
  ...common,
  entryPoints: [join(out, 'service-worker.js')],
  outfile: join(out, 'sw.js'),
  format: 'iife'
})
// code a page runs only sometimes (a private network's pnet) sits in
// chunks/, loaded when first imported: the page's first load stays small
await build({
  ...common,
  entryPoints: { weft: join(out, 'main.js') },
  outdir: out,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  format: 'esm',
  // @libp2p/webrtc already brings @libp2p/noise, the newer home of the same
  // implementation: one copy, not two
  alias: { '@chainsafe/libp2p-noise': '@libp2p/noise' },
  define: { 'process.env.NODE_DEBUG': 'undefined', global: 'globalThis' }
})
for (const file of ['index.html', 'style.css']) {
  await copyFile(join(root, 'web', file), join(out, file))
}
