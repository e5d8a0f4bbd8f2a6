// Preloaded with `node --import` by the start-up spec: prints, as the
// process exits, every package it loaded from node_modules, one line
// `packages loaded: a b @scope/c ...`, so a spec can tell what a command
// loaded before (and while) it did its work. Run against the bundled CLI, a
// package counts as loaded once a chunk holding any of its modules is. A
// second line, `node_modules files resolved: N`, counts the files Node itself
// resolved from node_modules (none for the bundle but its native packages).
import { registerHooks } from 'node:module'
import { bundledModules } from './bundle-modules.mjs'

const packages = new Set()
const fromNodeModules = new Set()
function count (path) {
  const at = path.lastIndexOf('/node_modules/')
  if (at >= 0) {
    const [scope, name] = path.slice(at + '/node_modules/'.length).split('/')
    packages.add(scope.startsWith('@') ? `${scope}/${name}` : scope)
  }
}
registerHooks({
  resolve (specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context)
    if (resolved.url.includes('/node_modules/')) fromNodeModules.add(resolved.url)
    for (const path of bundledModules(resolved.url) ?? [resolved.url]) count(path)
    return resolved
  }
})
process.on('exit', () => {
  process.stderr.write(`packages loaded: ${[...packages].sort().join(' ')}\n`)
  process.stderr.write(`node_modules files resolved: ${fromNodeModules.size}\n`)
})
