// `npm run bench`, step 2 of 3 (bench/run.sh): installs what the chosen
// measurements need, before the run enters its network namespace, where
// nothing can be downloaded: bench/peers (Helia, WebTorrent).
import { parseOptions } from './options.js'
import { ensurePeersInstalled, usesPeersPackage } from './peers-install.js'

const log = (line: string): void => { process.stderr.write(`[bench prepare] ${line}\n`) }

async function main (): Promise<void> {
  const options = parseOptions(process.argv.slice(2))
  if (usesPeersPackage(options)) await ensurePeersInstalled(log)
}

main().then(() => process.exit(0), (err: any) => {
  process.stderr.write(`${String(err.message ?? err)}\n`)
  process.exit(1)
})
