// `npm run bench`: every measurement of the benchmark issue side by side in
// one run, on this machine. Prints markdown tables on stdout (progress on
// stderr) and writes the same figures to bench/results/<timestamp>.json.
// Figures move by a third between runs on shared machines: compare ratios
// within one run, not numbers across runs.
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { bundleSection, pageTransferSection } from './browser-section.js'
import { measurePageTransfers, PAGE_ROWS } from './browser-transfer.js'
import { bundleSize } from './bundle.js'
import { cappedLinks, CappedLinksUnavailableError } from './capped-links.js'
import { dhtSection, measureDht, REPLICATION, setupName, type DhtFigure } from './dht.js'
import { measureDhtOverProcesses } from './dht-tcp.js'
import { encryptionSection, measureEncryption } from './encryption.js'
import { measureMemory, memorySection, type MemoryFigures } from './memory.js'
import { parseOptions, type BenchOptions } from './options.js'
import { measurePageDownload, pageDownloadSection, type DownloadFigure } from './page-download.js'
import { measurePageStreaming, pageStreamingSection, STREAMING_ROWS } from './page-streaming.js'
import type { SaveMethod } from '../web/download-file.js'
import { ensurePeersInstalled, usesPeersPackage } from './peers-install.js'
import { measurePut, putSection, type PutFigure } from './put.js'
import { randomFile, type RandomFile } from './random-file.js'
import { measureRepair, repairSection } from './repair.js'
import { auditCostSection, measureAuditCost, measureReput, measureRestore, restoreSection, reputSection, type RestoreFigure } from './durability.js'
import { measureScale, scaleSection, type ScaleFigure } from './scale.js'
import { markdown, writeResults, type Section } from './report.js'
import { ROOT, SYSTEMS, WEFT_GET_CLI, WEFT_GET_CLI_STDOUT } from './systems.js'
import { targetsSection, type TransferFigures } from './targets.js'
import { measureCliStartup, startupSection } from './cli-startup.js'
import { measureTransfer, type TransferFigure, type TransferOptions } from './transfer.js'
import { cappedSwarmSection, cliPhasesSection, swarmSection, transferSection } from './transfer-sections.js'

const log = (line: string): void => { process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`) }

function environment (options: BenchOptions): Record<string, unknown> {
  let commit = 'unknown'
  try { commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim() } catch {}
  return {
    date: new Date().toISOString(),
    mode: options.quick ? 'quick' : 'full',
    node: process.version,
    cpu: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    commit
  }
}

async function transfers (options: BenchOptions, file: (size: number) => Promise<RandomFile>, sections: Section[], tmpDir: string): Promise<TransferFigures> {
  const runOptions = { runs: options.runs, tmpDir }
  const single = new Map<number, TransferFigure[]>()
  let swarm: TransferFigures['swarm']
  let capped: TransferFigures['capped']
  const measure = async (size: number, seeders: number, systems = SYSTEMS, extra: Partial<TransferOptions> = {}): Promise<TransferFigure[]> => {
    const figures: TransferFigure[] = []
    for (const system of systems) {
      if (system.script != null) log(`${system.name}: ${size / 2 ** 20} MiB from ${seeders} seeder(s)${extra.seedHosts != null ? ' behind capped links' : ''}, warm-up + ${options.runs} runs`)
      const figure = await measureTransfer(system, await file(size), seeders, { ...runOptions, ...extra })
      if (figure.status === 'failed') log(`${system.name} failed: ${figure.error ?? ''}`)
      figures.push(figure)
    }
    return figures
  }
  if (options.only.has('transfer')) {
    for (const size of options.sizes) {
      single.set(size, await measure(size, 1))
      sections.push(transferSection(size, single.get(size) ?? []))
      for (const cli of single.get(size)?.filter(f => (f.system === WEFT_GET_CLI || f.system === WEFT_GET_CLI_STDOUT) && f.phases != null) ?? []) {
        sections.push(cliPhasesSection(size, cli))
      }
    }
  }
  if (options.only.has('swarm')) {
    const swarming = SYSTEMS.filter(s => s.swarms)
    const one = single.get(options.swarmSize) ?? await measure(options.swarmSize, 1, swarming)
    const four = await measure(options.swarmSize, 4, swarming)
    sections.push(swarmSection(options.swarmSize, one, four))
    swarm = { size: options.swarmSize, one, four }
  }
  if (options.only.has('capped')) {
    const swarming = SYSTEMS.filter(s => s.swarms)
    try {
      const links = await cappedLinks(4, options.cappedMbit)
      try {
        const one = await measure(options.cappedSize, 1, swarming, { seedHosts: links.hosts })
        const four = await measure(options.cappedSize, 4, swarming, { seedHosts: links.hosts })
        capped = { size: options.cappedSize, mbit: options.cappedMbit, one, four }
        sections.push(cappedSwarmSection(capped))
      } finally {
        await links.close()
      }
    } catch (err) {
      if (!(err instanceof CappedLinksUnavailableError)) throw err
      log(`capped: ${err.message}`)
      capped = { size: options.cappedSize, mbit: options.cappedMbit, one: [], four: [], unavailable: err.message }
    }
  }
  return { single, swarm, capped }
}

async function main (): Promise<void> {
  const options = parseOptions(process.argv.slice(2))
  const started = performance.now()
  const env = environment(options)
  log(`${String(env.mode)} run: ${JSON.stringify({ sizesMiB: options.sizes.map(s => s / 2 ** 20), runs: options.runs, dht: options.dhtSizes, dhtProcesses: options.dhtProcesses, dhtMemory: options.dhtMemorySizes, browserMiB: options.browserSize / 2 ** 20, only: [...options.only] })}`)
  const sections: Section[] = []
  const dir = await mkdtemp(join(tmpdir(), 'weft-bench-'))
  const files = new Map<number, Promise<RandomFile>>()
  const file = async (size: number): Promise<RandomFile> => {
    if (!files.has(size)) files.set(size, randomFile(dir, size))
    return files.get(size) as Promise<RandomFile>
  }
  const dht: DhtFigure[] = []
  let put: PutFigure | undefined
  let memory: MemoryFigures | undefined
  let pageDownload: DownloadFigure[] | undefined
  try {
    // bench/run.sh installs it before entering the network namespace; this
    // is for a run started some other way
    if (usesPeersPackage(options)) await ensurePeersInstalled(log)
    const moved = await transfers(options, file, sections, dir)
    if (options.only.has('put')) {
      log(`put: ${options.putSize / 2 ** 20} MiB to 5 weft servers, warm-up + ${options.runs} runs`)
      put = await measurePut(options.putSize, options.runs, dir)
      if (put.status === 'failed') log(`put failed: ${put.error ?? ''}`)
      sections.push(putSection(put))
    }
    if (options.only.has('dht')) {
      const batches = { lookups: options.dhtLookups, batches: 3 }
      const measured = (figure: DhtFigure): void => {
        if (figure.status === 'failed') log(`DHT ${figure.n} (${setupName(figure.setup)}) failed: ${figure.error ?? ''}`)
        dht.push(figure)
        // each row as soon as it is measured: a long run stopped early keeps what it had
        log(`DHT row: ${JSON.stringify({ ...figure, workers: undefined })}`)
      }
      for (const n of options.dhtMemorySizes) {
        log(`DHT: building ${n} nodes in one process (memory transport), then a warm-up and 3 batches of ${options.dhtLookups} lookups`)
        measured(await measureDht(n, batches))
      }
      for (const n of options.dhtSizes) {
        for (const dhtQuery of options.dhtQueries) {
          log(`DHT: building ${n} nodes over ${Math.min(n, options.dhtProcesses)} processes (TCP${dhtQuery != null ? `, alpha ${dhtQuery.alpha}, ${dhtQuery.disjointPaths} paths${dhtQuery.tableIntake != null ? `, table intake ${dhtQuery.tableIntake}` : ''}` : ''}), then a warm-up and 3 batches of ${options.dhtLookups} lookups`)
          measured(await measureDhtOverProcesses(n, { ...batches, processes: options.dhtProcesses, replication: REPLICATION, log, ...(dhtQuery != null ? { dhtQuery } : {}) }))
        }
      }
      sections.push(dhtSection(dht, options.dhtLookups))
    }
    if (options.only.has('memory')) {
      memory = await measureMemory({
        sizes: options.memorySizes,
        idleBlocks: options.idleBlocks,
        runs: options.quick ? 1 : 2,
        compare: options.memoryCompare,
        tmpDir: dir,
        known: (system, size) => moved.single.get(size)?.find(f => f.system === system),
        log
      }, file)
      sections.push(memorySection(memory))
    }
    if (options.only.has('browser')) {
      const host = process.env.WEFT_TEST_HOST
      if (host == null) log('browser: not inside bench/run.sh\'s network namespace: the server listens on 127.0.0.1, where Chromium finds no WebRTC candidates on a host with only loopback')
      const warmups = { first: 1, rest: options.quick ? 0 : 1 }
      const figures = await measurePageTransfers(await file(options.browserSize), {
        runs: options.browserRuns,
        warmups,
        tmpDir: dir,
        host: host ?? '127.0.0.1',
        // quick: weft's rows only, the references cost a row each
        rows: options.quick ? PAGE_ROWS.filter(row => row.what === 'get') : PAGE_ROWS,
        log
      })
      sections.push(pageTransferSection(figures, { warmups: options.quick ? 'One warm-up run before the first row' : 'One warm-up run', counted: options.browserRuns }))
      sections.push(bundleSection(await bundleSize()))
    }
    if (options.only.has('scale')) {
      const figures: ScaleFigure[] = []
      for (const servers of options.scaleServers) {
        log(`scale: weft put and weft get of ${options.scaleSize / 2 ** 20} MiB into ${servers} servers`)
        const figure = await measureScale(servers, await file(options.scaleSize), dir, log)
        if (figure.status === 'failed') log(`scale ${servers} failed: ${figure.error ?? ''}`)
        figures.push(figure)
      }
      sections.push(scaleSection(figures))
    }
    if (options.only.has('repair')) {
      log(`repair: ${options.repairBlocks} blocks on a server leaving ${options.repairServers} servers`)
      const figure = await measureRepair(options.repairServers, options.repairBlocks, dir, log)
      if (figure.status === 'failed') log(`repair failed: ${figure.error ?? ''}`)
      sections.push(repairSection(figure))
    }
    if (options.only.has('durability')) {
      const restores: RestoreFigure[] = []
      for (const blocks of options.durabilityBlocks) {
        log(`durability: a server holding ${blocks} blocks dies among ${options.durabilityServers}`)
        const figure = await measureRestore(options.durabilityServers, blocks, dir, log)
        if (figure.status === 'failed') log(`durability ${blocks} failed: ${figure.error ?? ''}`)
        restores.push(figure)
      }
      sections.push(restoreSection(restores))
      const audits = await measureAuditCost(options.auditServers, options.auditSeconds, options.auditsPerHour, dir, log)
      if (audits.status === 'failed') log(`audit cost failed: ${audits.error ?? ''}`)
      sections.push(auditCostSection(audits))
      const reput = await measureReput(options.reputServers, options.reputSize, dir, log)
      if (reput.status === 'failed') log(`re-put failed: ${reput.error ?? ''}`)
      sections.push(reputSection(reput))
    }
    if (options.only.has('encryption')) {
      log(`encryption: ${options.encryptionSize / 2 ** 20} MiB put and got plain and encrypted through 3 servers, warm-up + ${options.runs} runs of each`)
      sections.push(encryptionSection(await measureEncryption(options.encryptionSize, options.runs, log)))
    }
    // a set-up that fails (no server, no Chromium, no ffmpeg) fails the rows, not the run
    const failedWith = (err: any): string => { log(`failed: ${String(err.message ?? err)}`); return String(err.message ?? err).split('\n')[0] }
    if (options.only.has('page-streaming')) {
      const seconds = options.pageVideoSeconds
      sections.push(pageStreamingSection(await measurePageStreaming({ seconds, mbps: 8, log }).catch(err => {
        const error = failedWith(err)
        return STREAMING_ROWS.map(row => ({ row: row.name, status: 'failed' as const, mib: 0, seconds, rate: 'uncapped', error }))
      })))
    }
    if (options.only.has('page-download')) {
      const mib = options.pageDownloadSize / 2 ** 20
      const methods: SaveMethod[] = ['file-system-access', 'service-worker']
      pageDownload = await measurePageDownload({ mib, methods, log }).catch(err => {
        const error = failedWith(err)
        return methods.map(method => ({ method, status: 'failed' as const, mib, error }))
      })
      sections.push(pageDownloadSection(pageDownload))
    }
    if (options.only.has('startup')) {
      const runs = options.quick ? 3 : 10
      log(`startup: weft --version, --help and a 1 KiB weft get from 3 servers, warm-up + ${runs} runs of each`)
      const figure = await measureCliStartup(runs, dir)
      if (figure.status === 'failed') log(`startup failed: ${figure.error ?? ''}`)
      sections.push(startupSection(figure))
    }
    sections.push(targetsSection(dht, moved, memory, pageDownload))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
  const seconds = (performance.now() - started) / 1000
  const header = [
    `## weft benchmark (${String(env.mode)}), ${String(env.date)}`,
    '',
    `Node ${String(env.node)}, ${String(env.cpu)}, ${String(env.memoryGiB)} GiB, commit ${String(env.commit)}; took ${seconds.toFixed(0)} s. ` +
      'Peers are separate processes on 127.0.0.1 (item 6: a headless Chromium, and a server whose WebSockets and WebRTC-direct listen on the network namespace\'s non-loopback address). Figures move by a third between runs on shared machines: compare ratios within one run.',
    ''
  ]
  process.stdout.write([...header, ...sections.map(markdown)].join('\n'))
  const path = await writeResults(join(ROOT, 'bench', 'results'), { environment: env, seconds, options: { ...options, only: [...options.only] }, sections })
  log(`wrote ${path}`)
}

main().then(() => process.exit(0), (err: any) => {
  process.stderr.write(`${String(err.message ?? err)}\n`)
  process.exit(1)
})
