// What a chunk of the bundled CLI (dist/bundle/cli, scripts/build-cli.mjs)
// holds: the bundle loads the stack's code from its chunks, not from
// node_modules, so the start-up specs' resolve hooks count, for each chunk a
// run loads, the modules modules.json says went into it.
import { readFileSync } from 'node:fs'

const manifests = new Map()

/**
 * The modules (paths as `/node_modules/pkg/...` or `/dist/src/...`) bundled into
 * the file at `url`, or undefined when it is no chunk of a bundle.
 */
export function bundledModules (url) {
  const at = url.lastIndexOf('/')
  const dir = url.slice(0, at + 1)
  if (!dir.endsWith('/dist/bundle/cli/')) return undefined
  let manifest = manifests.get(dir)
  if (manifest == null) {
    manifest = JSON.parse(readFileSync(new URL('modules.json', dir), 'utf8'))
    manifests.set(dir, manifest)
  }
  return (manifest[url.slice(at + 1)] ?? []).map(path => `/${path}`)
}
