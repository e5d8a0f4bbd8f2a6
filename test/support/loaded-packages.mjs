// Preloaded with `node --import` by the start-up spec: prints, as the
// process exits, every package it loaded from node_modules, one line
// `packages loaded: a b @scope/c ...`, so a spec can tell what a command
// loaded before (and while) it did its work. Run against the bundled CLI, a
// package counts as loaded once a chunk holding any of its modules is.
import { registerHooks } from 'node:module'
import { bundledModules } from './bundle-modules.mjs'

const packages = new Set()
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
    for (const path of bundledModules(resolved.url) ?? [resolved.url]) count(path)
    return resolved
  }
})
process.on('exit', () => { process.stderr.write(`packages loaded: ${[...packages].sort().join(' ')}\n`) })
