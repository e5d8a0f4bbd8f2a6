// Bundles the CLI: dist/src/cli/bin.js (compiled by tsc) -> dist/bundle/cli/weft.js,
// the file package.json's `bin` names. One process of `weft get` otherwise
// resolves and compiles ~600 modules of the stack one by one, most of its
// start-up (docs/performance.md, "The bundled CLI").
//
// - ESM with splitting: every dynamic import() (main.js after the Node.js
//   version check, each command, the lazy transports, the disk stores) stays a
//   chunk of its own, loaded when first imported, so `--version` and a
//   transient node load no more than they did unbundled.
// - The chunks sit flat in one directory two levels under dist/, as the
//   compiled modules that find files by `import.meta.url` do
//   (`../../../package.json`, `../../web`), and the testnet worker is an entry
//   of its own beside them (`./testnet-worker.js`).
// - Native parts stay outside: `level` (classic-level's binding) and
//   node-datachannel (WebRTC's), loaded from node_modules as before.
// - CommonJS packages inside (prom-client, ws, ...) call require() for Node's
//   built-ins: each chunk gets a `require` of its own from createRequire.
// - modules.json names, for each chunk, the modules it holds, so a spec can
//   tell which packages a run loaded by the chunks it loaded
//   (test/support/loaded-packages.mjs).
import { build } from 'esbuild'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const out = join(root, 'dist', 'bundle', 'cli')
// chunk names carry a content hash: drop the last build's
await rm(out, { recursive: true, force: true })
await mkdir(out, { recursive: true })
const result = await build({
  absWorkingDir: root,
  entryPoints: {
    weft: join(root, 'dist', 'src', 'cli', 'bin.js'),
    'testnet-worker': join(root, 'dist', 'src', 'testing', 'testnet-worker.js')
  },
  outdir: out,
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  splitting: true,
  external: ['level', 'node-datachannel', 'node-datachannel/*'],
  banner: { js: "import { createRequire as __weftCreateRequire } from 'node:module'; const require = __weftCreateRequire(import.meta.url);" },
  metafile: true,
  logLevel: 'warning'
})
const modules = {}
for (const [file, output] of Object.entries(result.metafile.outputs)) {
  modules[basename(file)] = Object.keys(output.inputs)
}
await writeFile(join(out, 'modules.json'), JSON.stringify(modules, null, 1) + '\n')
