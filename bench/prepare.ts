// `npm run bench`, step 2 of 3 (bench/run.sh): installs what the chosen
// measurements need, before the run enters its network namespace, where
// nothing can be downloaded: bench/peers (Helia, WebTorrent) and, for item 6,
// Debian's Chromium (test/support/ensure-chromium.sh, as `npm test` does).
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { parseOptions } from './options.js'
import { ensurePeersInstalled, usesPeersPackage } from './peers-install.js'
import { ROOT } from './systems.js'

const log = (line: string): void => { process.stderr.write(`[bench prepare] ${line}\n`) }

async function ensureChromium (): Promise<void> {
  const code = await new Promise<number | null>(resolve => {
    const child = spawn('bash', [join(ROOT, 'test', 'support', 'ensure-chromium.sh')], { stdio: ['ignore', 'inherit', 'inherit'] })
    child.once('exit', resolve)
    child.once('error', () => { resolve(-1) })
  })
  if (code !== 0) throw new Error('no Chromium for item 6 (test/support/ensure-chromium.sh failed): leave it out with --only')
}

async function main (): Promise<void> {
  const options = parseOptions(process.argv.slice(2))
  if (usesPeersPackage(options)) await ensurePeersInstalled(log)
  if (options.only.has('browser')) await ensureChromium()
}

main().then(() => process.exit(0), (err: any) => {
  process.stderr.write(`${String(err.message ?? err)}\n`)
  process.exit(1)
})
