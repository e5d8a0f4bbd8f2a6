import { createRequire } from 'node:module'; const require = createRequire(import.meta.url)
import { startTestnet } from '/work/main/dist/src/testing/index.js'
import { execFileSync, spawnSync } from 'node:child_process'
const net = await startTestnet({ servers: 20, processes: 20, host: '127.0.0.1' })
console.log('ready')
for (let i = 0; i < 3; i++) {
  const via = net.servers[Math.floor(i * 20 / 3)]
  spawnSync('head', ['-c', '33554432', '/dev/urandom'], { stdio: ['ignore', require_fd(i), 'inherit'] })
  const r = spawnSync(process.execPath, ['dist/src/cli/bin.js', 'put', `/tmp/tn${i}`, '--bootstrap', via.multiaddrs[0]], { encoding: 'utf8', env: { ...process.env, DEBUG: '' } })
  console.log(i, r.stderr.trim().split('\n').pop())
}
function require_fd (i) { return (awaitOpen(`/tmp/tn${i}`)) }
function awaitOpen (p) { return require('fs').openSync(p, 'w') }
await net.stop(); process.exit(0)
