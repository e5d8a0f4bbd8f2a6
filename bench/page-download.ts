// Issue 16 item 2: Chromium's memory while a page saves a large file to disk
// through its share link. A weft server holds the file (random bytes, put by
// a node in this process); a headless Chromium opens the page on the link and
// clicks its Download link; RSS summed over every Chromium process (browser,
// renderers, GPU, utility, the service worker's) is sampled every 200 ms from
// /proc, from the idle, joined page until the file is saved, and the saved
// file is checked against the put. One row per way of saving
// (web/download-file.ts):
// - `file-system-access`: the page writes each leaf into a file the picker
//   gave it (Chromium's way). Headless Chromium shows no picker: an init
//   script answers it with a file of the origin's private file system, in a
//   persistent profile so that it lives on disk as a picked file does;
// - `service-worker`: the picker taken away (as in Firefox and Safari), the
//   worker's download response goes to the browser's downloads folder;
// - `blob`: no worker (`?sw=off`) and no picker: the old path, Blob parts.
// Each row has a browser of its own, on a profile of its own.
//
//   bash test/support/in-netns.sh node dist/bench/page-download.js --mib 512 [--methods file-system-access,service-worker,blob]
import { createHash, randomFillSync } from 'node:crypto'
import { createReadStream, readFileSync, readdirSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { createNode } from '../src/index.js'
import { answerSavePicker, launchProfile, spawnPageServer, withoutSavePicker } from '../test/support/browser.js'
import { removeDir } from '../test/support/weft-process.js'
import type { SaveMethod } from '../web/download-file.js'
import type { Section } from './report.js'
import type { WeftPageHook } from '../web/main.js'

const MIB = 2 ** 20
/** The bytes each hash of the put covers, and each slice the page hashes of a picked file. */
const SLICE = 4 * MIB

/** Every process below `root`: Chromium's tree under this one. */
function descendants (root: number): number[] {
  const parents = new Map<number, number>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const fields = readFileSync(`/proc/${name}/stat`, 'utf8').split(') ').pop()?.split(' ') ?? []
      parents.set(Number(name), Number(fields[1]))
    } catch {}
  }
  const found: number[] = []
  const walk = (pid: number): void => {
    for (const [child, parent] of parents) if (parent === pid) { found.push(child); walk(child) }
  }
  walk(root)
  return found
}

interface Rss { sum: number, anon: number, byKind: Record<string, number> }

/** RSS in bytes of each Chromium process under this one, by its kind (`--type=`, or `browser`), and summed (VmRSS; shared pages count in each). */
function chromiumRss (): Rss {
  let sum = 0
  let anon = 0
  const byKind: Record<string, number> = {}
  for (const pid of descendants(process.pid)) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8')
      if (!/^Name:\s*(chrom|headless)/im.test(status)) continue
      const rss = Number(/^VmRSS:\s*(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
      const kind = [cmdline.find(a => a.startsWith('--type='))?.slice(7) ?? 'browser', cmdline.find(a => a.startsWith('--utility-sub-type='))?.slice(19)].filter(Boolean).join(':')
      byKind[kind] = (byKind[kind] ?? 0) + rss
      sum += rss
      anon += Number(/^RssAnon:\s*(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024
    } catch {}
  }
  return { sum, anon, byKind }
}

/** Random bytes in SLICE chunks, each hashed on its own and all together. */
async function * randomChunks (size: number, hash: ReturnType<typeof createHash>, slices: string[]): AsyncGenerator<Uint8Array> {
  for (let sent = 0; sent < size;) {
    const chunk = randomFillSync(Buffer.alloc(Math.min(SLICE, size - sent)))
    hash.update(chunk)
    slices.push(createHash('sha256').update(chunk).digest('hex'))
    sent += chunk.byteLength
    yield chunk
  }
}

async function sha256File (path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** One row's figure. */
export interface DownloadFigure {
  method: SaveMethod
  status: 'ok' | 'failed'
  mib: number
  seconds?: number
  mibPerSecond?: number
  idleRssMiB?: number
  peakRssMiB?: number
  /** Peak over the idle page, summed over Chromium's processes: the target is +400 MB at most. */
  growthMiB?: number
  /** Of the growth, anonymous memory (heaps, buffers), not file pages mapped in. */
  anonGrowthMiB?: number
  /** At the peak, by process kind: MiB over the idle page. */
  growthByKindMiB?: Record<string, number>
  identical?: boolean
  error?: string
}

export interface DownloadOptions {
  mib: number
  methods: SaveMethod[]
  log: (line: string) => void
}

/** In the page: SHA-256 of each SLICE of the picked file `name`, read a slice at a time. Stands alone. */
async function pickedSlices ({ name, slice }: { name: string, slice: number }): Promise<{ size: number, slices: string[] }> {
  const file = await (await (await navigator.storage.getDirectory()).getFileHandle(name)).getFile()
  const slices: string[] = []
  for (let at = 0; at < file.size; at += slice) {
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await file.slice(at, at + slice).arrayBuffer()))
    slices.push(Array.from(digest, b => b.toString(16).padStart(2, '0')).join(''))
  }
  return { size: file.size, slices }
}

/** Measures each method of `options.methods` saving one file of `options.mib` MiB. */
export async function measurePageDownload (options: DownloadOptions): Promise<DownloadFigure[]> {
  const size = options.mib * MIB
  // one writer puts the whole file: the per-peer limits (4 GiB in all, 2 GiB an hour by default) are for strangers
  const server = await spawnPageServer({ args: ['--storage.peerStoreBytes', '0', '--storage.peerStoreBytesPerHour', '0'] })
  const figures: DownloadFigure[] = []
  try {
    const hash = createHash('sha256')
    const slices: string[] = []
    const writer = await createNode({ bootstrap: [server.multiaddrs[0]], storage: { writeQuorum: 1 } }, { transient: true })
    let cid: string
    const putStarted = Date.now()
    try {
      cid = (await writer.put(randomChunks(size, hash, slices))).cid.toString()
    } finally {
      await writer.stop()
    }
    const sha256 = hash.digest('hex')
    options.log(`page download: put ${options.mib} MiB in ${((Date.now() - putStarted) / 1000).toFixed(1)} s`)
    for (const method of options.methods) {
      options.log(`page download: ${options.mib} MiB, ${method}`)
      const profile = await mkdtemp(join(tmpdir(), 'weft-bench-profile-'))
      const context = await launchProfile(profile)
      try {
        if (method === 'file-system-access') await answerSavePicker(context)
        else await withoutSavePicker(context)
        const page = await context.newPage()
        await page.goto(`${server.httpUrl ?? ''}${method === 'blob' ? '?sw=off' : ''}`)
        const streaming = await page.evaluate(async () => {
          const { weft } = globalThis as unknown as { weft: WeftPageHook }
          await weft.ready
          return weft.streaming
        })
        if (streaming !== (method !== 'blob')) throw new Error(`the page ${streaming ? 'has' : 'has no'} service worker`)
        await page.locator('#status[data-state="connected"]').waitFor({ timeout: 30_000 })
        await page.waitForTimeout(2000)
        const idle = chromiumRss()
        let peak = idle
        const sample = (): void => {
          const now = chromiumRss()
          if (now.sum > peak.sum) peak = now
        }
        const sampler = setInterval(sample, 200)
        let identical: boolean
        let seconds: number
        try {
          const started = Date.now()
          await page.evaluate(hash => { location.hash = hash }, `#/${cid}/big.bin`)
          // with the worker or the picker the link is there at once; without, once the Blob is whole
          const link = page.locator('#get-result[data-state="ok"]')
          await link.waitFor({ timeout: 30 * 60_000 })
          const saved = await page.locator('#download').getAttribute('data-save')
          if (saved !== method) throw new Error(`the page saves by ${saved ?? 'nothing'}, not ${method}`)
          if (method === 'file-system-access') {
            await page.locator('#download').click()
            const result = page.locator('#save-result:is([data-state="ok"], [data-state="error"])')
            await result.waitFor({ timeout: 30 * 60_000 })
            if (await result.getAttribute('data-state') === 'error') throw new Error(`the save: ${await result.innerText()}`)
            seconds = (Date.now() - started) / 1000
            clearInterval(sampler)
            sample()
            const picked = await page.evaluate(pickedSlices, { name: 'big.bin', slice: SLICE })
            identical = picked.size === size && picked.slices.every((h, i) => h === slices[i]) && picked.slices.length === slices.length
          } else {
            const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30 * 60_000 }), page.locator('#download').click()])
            const path = await download.path()
            seconds = (Date.now() - started) / 1000
            clearInterval(sampler)
            sample()
            identical = await sha256File(path) === sha256
          }
        } finally {
          clearInterval(sampler)
        }
        figures.push({
          method,
          status: 'ok',
          mib: options.mib,
          seconds: Number(seconds.toFixed(1)),
          mibPerSecond: Number((options.mib / seconds).toFixed(1)),
          idleRssMiB: Math.round(idle.sum / MIB),
          peakRssMiB: Math.round(peak.sum / MIB),
          growthMiB: Math.round((peak.sum - idle.sum) / MIB),
          anonGrowthMiB: Math.round((peak.anon - idle.anon) / MIB),
          growthByKindMiB: Object.fromEntries(Object.entries(peak.byKind).map(([kind, rss]) => [kind, Math.round((rss - (idle.byKind[kind] ?? 0)) / MIB)])),
          identical
        })
      } catch (err: any) {
        options.log(`page download, ${method} failed: ${String(err.message ?? err).split('\n')[0]}`)
        figures.push({ method, status: 'failed', mib: options.mib, error: String(err.message ?? err).split('\n')[0] })
      } finally {
        await context.close()
        await rm(profile, { recursive: true, force: true })
      }
    }
  } finally {
    await server.stop()
    await removeDir(server.dataDir)
  }
  return figures
}

/** What each method is, for the table. */
const METHOD_NAMES: Record<SaveMethod, string> = {
  'file-system-access': 'File System Access (Chromium: the page writes each leaf into the picked file)',
  'service-worker': 'service-worker download response (Firefox, Safari)',
  blob: 'no worker, no picker: Blob parts'
}

/** The download rows as a table. */
export function pageDownloadSection (figures: DownloadFigure[]): Section {
  return {
    id: 'page-download',
    title: `6c. Browser: Chromium's memory while a page saves ${figures[0]?.mib ?? '?'} MiB to disk (target: +400 MB at most over the idle page)`,
    note: 'RSS summed over every Chromium process (VmRSS, sampled every 200 ms), from the idle joined page until the file is saved; growth is the peak over the idle page. ' +
      'The picker is answered by an init script with a file of the origin\'s private file system, on disk in a persistent profile. Every saved file is checked against the put. One run per row.',
    columns: ['way of saving', 'time s', 'MiB/s', 'idle RSS MiB', 'peak RSS MiB', 'growth MiB (anonymous)', 'largest growth by process', 'identical'],
    rows: figures.map(f => {
      if (f.status === 'failed') return [METHOD_NAMES[f.method], `failed: ${f.error ?? ''}`, '–', '–', '–', '–', '–', '–']
      const [kind, mib] = Object.entries(f.growthByKindMiB ?? {}).sort((a, b) => b[1] - a[1])[0] ?? ['?', 0]
      return [METHOD_NAMES[f.method], String(f.seconds), String(f.mibPerSecond), String(f.idleRssMiB), String(f.peakRssMiB), `+${f.growthMiB ?? '?'} (+${f.anonGrowthMiB ?? '?'})`, `${kind} +${mib}`, f.identical === true ? 'yes' : 'NO']
    }),
    data: figures
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { mib: { type: 'string', default: '512' }, methods: { type: 'string', default: 'file-system-access,service-worker' } } })
  const figures = await measurePageDownload({
    mib: Number(values.mib),
    methods: (values.methods ?? '').split(',') as SaveMethod[],
    log: line => { process.stderr.write(`${line}\n`) }
  })
  for (const f of figures) console.log(JSON.stringify(f))
}
