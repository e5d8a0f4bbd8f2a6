// Helia and WebTorrent live in bench/peers, a package of their own: in the
// root package.json webtorrent's ip-set (a `preinstall` that demands pnpm)
// breaks `npm install`. Installed from its lock with scripts off; the lock
// pins node-datachannel 0.33.4, whose binaries come as npm packages (0.32's
// install script downloads them from elsewhere).
import { spawn } from 'node:child_process'
import { lstat, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { PEERS_DIR, SYSTEMS, needsPeersPackage } from './systems.js'
import type { BenchOptions } from './options.js'

/** Whether a run with `options` starts any peer of bench/peers. */
export function usesPeersPackage (options: BenchOptions): boolean {
  const transfers = options.only.has('transfer') || options.only.has('swarm') || options.only.has('capped') || (options.only.has('memory') && options.memoryCompare.length > 0)
  return transfers && SYSTEMS.some(needsPeersPackage)
}

/**
 * Installs bench/peers/node_modules if it is missing or older than the lock.
 * Never into a symlinked node_modules: a git worktree may link another
 * checkout's install, and `npm ci` empties the directory the link points to
 * (seen: it emptied the main checkout's, under the benchmarks of every
 * worktree linking it, because a fresh worktree's lock is newer than the
 * install). A linked install is used as it is.
 */
export async function ensurePeersInstalled (log: (line: string) => void): Promise<void> {
  const modules = join(PEERS_DIR, 'node_modules')
  const installed = await stat(join(modules, '.package-lock.json')).catch(() => undefined)
  if ((await lstat(modules).catch(() => undefined))?.isSymbolicLink() === true) {
    if (installed == null) throw new Error(`${modules} links to a directory with no install in it: run npm ci --ignore-scripts where it points, or replace the link`)
    return
  }
  const lock = await stat(join(PEERS_DIR, 'package-lock.json'))
  if (installed != null && installed.mtimeMs >= lock.mtimeMs) return
  log('installing bench/peers (Helia, WebTorrent): npm ci --ignore-scripts')
  const code = await new Promise<number | null>(resolve => {
    const child = spawn('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: PEERS_DIR, stdio: ['ignore', 'inherit', 'inherit'] })
    child.once('exit', resolve)
    child.once('error', () => { resolve(-1) })
  })
  if (code !== 0) throw new Error(`npm ci in ${PEERS_DIR} failed (${code})`)
}
