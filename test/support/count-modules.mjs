// Preloaded with `node --import` by the CLI spec: counts the modules a
// process loaded from node_modules/libp2p and @libp2p, and prints the count
// on stderr as it exits, so a spec can tell which commands load the stack.
// Run against the bundled CLI, a chunk counts for the modules it holds.
import { registerHooks } from 'node:module'
import { bundledModules } from './bundle-modules.mjs'

const seen = new Set()
let stack = 0
registerHooks({
  resolve (specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context)
    if (!seen.has(resolved.url)) {
      seen.add(resolved.url)
      for (const path of bundledModules(resolved.url) ?? [resolved.url]) {
        if (/\/node_modules\/(libp2p|@libp2p\/[^/]+)\//.test(path)) stack++
      }
    }
    return resolved
  }
})
process.on('exit', () => { process.stderr.write(`libp2p modules loaded: ${stack}\n`) })
