// `npm run bench`, step 2 of 3 (bench/run.sh): installs what the chosen
// measurements need, before the run enters its network namespace, where
// nothing can be downloaded: bench/peers (Helia, WebTorrent) and, for item 6,
// Debian's Chromium (test/support/ensure-chromium.sh, as `npm test` does), and
// ffmpeg for 6b's video (ensure-ffmpeg.sh).
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { parseOptions } from './options.js'
import { ensurePeersInstalled, usesPeersPackage } from './peers-install.js'
import { ROOT } from './systems.js'

const log = (line: string): void => { process.stderr.write(`[bench prepare] ${line}\n`) }

async function ensure (script: 'ensure-chromium.sh' | 'ensure-ffmpeg.sh'): Promise<void> {
  const code = await new Promise<number | null>(resolve => {
    const child = spawn('bash', [join(ROOT, 'test', 'support', script)], { stdio: ['ignore', 'inherit', 'inherit'] })
    child.once('exit', resolve)
    child.once('error', () => { resolve(-1) })
  })
  if (code !== 0) throw new Error(`test/support/${script} failed, which item 6 needs: leave it out with --only`)
}

async function main (): Promise<void> {
  const options = parseOptions(process.argv.slice(2))
  if (usesPeersPackage(options)) await ensurePeersInstalled(log)
  const page = (['browser', 'page-streaming', 'page-download'] as const).some(m => options.only.has(m))
  if (page) await ensure('ensure-chromium.sh')
  // the page streaming rows play a WebM that ffmpeg makes
  if (options.only.has('page-streaming')) await ensure('ensure-ffmpeg.sh')
}

main().then(() => process.exit(0), (err: any) => {
  process.stderr.write(`${String(err.message ?? err)}\n`)
  process.exit(1)
})
