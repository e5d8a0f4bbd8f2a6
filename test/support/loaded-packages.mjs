// Preloaded with `node --import` by the start-up spec: prints, as the
// process exits, every package it loaded from node_modules, one line
// `packages loaded: a b @scope/c ...`, so a spec can tell what a command
// loaded before (and while) it did its work.
import { registerHooks } from 'node:module'

const packages = new Set()
registerHooks({
  resolve (specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context)
    const at = resolved.url.lastIndexOf('/node_modules/')
    if (at >= 0) {
      const [scope, name] = resolved.url.slice(at + '/node_modules/'.length).split('/')
      packages.add(scope.startsWith('@') ? `${scope}/${name}` : scope)
    }
    return resolved
  }
})
process.on('exit', () => { process.stderr.write(`packages loaded: ${[...packages].sort().join(' ')}\n`) })
