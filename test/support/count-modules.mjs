// Preloaded with `node --import` by the CLI spec: counts the modules a
// process loaded from node_modules/libp2p and @libp2p, and prints the count
// on stderr as it exits, so a spec can tell which commands load the stack.
import { registerHooks } from 'node:module'

let stack = 0
registerHooks({
  resolve (specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context)
    if (/\/node_modules\/(libp2p|@libp2p\/[^/]+)\//.test(resolved.url)) stack++
    return resolved
  }
})
process.on('exit', () => { process.stderr.write(`libp2p modules loaded: ${stack}\n`) })
