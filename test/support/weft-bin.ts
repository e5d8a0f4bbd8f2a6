// The CLI as users run it: the file package.json's `bin` names, the bundle
// `npm run build` makes (scripts/build-cli.mjs). `npx tsc -p .` alone leaves
// that bundle as it was, and a spec or benchmark run after it would run the
// code before the change: so whoever imports this first rebuilds the bundle
// when a compiled module of dist/src is newer than it (esbuild: ~1 s).
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

/** The shipped `weft`: package.json's `bin`. */
export const WEFT_BIN = join(ROOT, JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).bin.weft)

/** The newest modification time of the `.js` files under `dir`. */
function newestJs (dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) newest = Math.max(newest, newestJs(path))
    else if (entry.name.endsWith('.js')) newest = Math.max(newest, statSync(path).mtimeMs)
  }
  return newest
}

// the build writes modules.json last, after every chunk
const built = statSync(join(ROOT, 'dist', 'bundle', 'cli', 'modules.json'), { throwIfNoEntry: false })?.mtimeMs ?? 0
if (built < newestJs(join(ROOT, 'dist', 'src'))) {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-cli.mjs')], { stdio: ['ignore', 'ignore', 'inherit'] })
}
