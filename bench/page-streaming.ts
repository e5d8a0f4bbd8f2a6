// Issue 16 item 1 in numbers: a page opens the share link of a 100+ MiB WebM
// (made by ffmpeg, put on one weft server by a node in this process) and its
// <video> plays through the page's service worker. Measured in the page: the
// time from opening the link to the first 'playing' with the clock running,
// then from a seek to 80 % until it plays there, and the blocks the tab
// fetched by each moment. `--rate 40mbit` caps the loopback first (tc tbf;
// only inside the namespace of test/support/in-netns.sh).
//
//   bash test/support/in-netns.sh node dist/bench/page-streaming.js [--seconds 120] [--mbps 8] [--rate 40mbit]
import { execFile } from 'node:child_process'
import { parseArgs, promisify } from 'node:util'
import { createNode } from '../src/index.js'
import { launchBrowser, spawnPageServer } from '../test/support/browser.js'
import { mediaFile } from '../test/support/media-file.js'
import { removeDir } from '../test/support/weft-process.js'
import type { WeftPageHook } from '../web/main.js'

const MIB = 2 ** 20
const run = promisify(execFile)

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '120' }, mbps: { type: 'string', default: '8' }, rate: { type: 'string' } } })
const seconds = Number(values.seconds)
const bytes = await mediaFile({ format: 'webm', seconds, mbps: Number(values.mbps) })
const server = await spawnPageServer()
const browser = await launchBrowser()
let capped = false
try {
  const writer = await createNode({ bootstrap: [server.multiaddrs[0]], storage: { writeQuorum: 1 } }, { transient: true })
  let cid: string
  try {
    cid = (await writer.put(bytes)).cid.toString()
  } finally {
    await writer.stop()
  }
  if (values.rate != null) {
    if (process.env.WEFT_TEST_NETNS !== '1') throw new Error('--rate only inside test/support/in-netns.sh')
    await run('tc', ['qdisc', 'add', 'dev', 'lo', 'root', 'tbf', 'rate', values.rate, 'burst', '512kb', 'latency', '400ms'])
    capped = true
  }
  const context = await browser.newContext()
  const page = await context.newPage()
  await page.goto(server.httpUrl ?? '')
  await page.evaluate(async () => {
    const { weft } = globalThis as unknown as { weft: WeftPageHook }
    await weft.ready
    if (!await weft.streaming) throw new Error('no service worker')
  })
  await page.locator('#status[data-state="connected"]').waitFor({ timeout: 30_000 })
  const result = await page.evaluate(async ({ cid, seconds }) => {
    const { weft } = globalThis as unknown as { weft: WeftPageHook }
    const playingPast = async (video: HTMLVideoElement, at: number): Promise<void> => new Promise(resolve => {
      const check = (): void => { if (!video.paused && video.currentTime > at) { video.removeEventListener('timeupdate', check); resolve() } }
      video.addEventListener('timeupdate', check)
      check()
    })
    const opened = performance.now()
    location.hash = `#/${cid}/film.webm`
    const video = await new Promise<HTMLVideoElement>(resolve => {
      const look = (): void => {
        const found = document.querySelector('#preview video') as HTMLVideoElement | null
        if (found != null) resolve(found)
        else requestAnimationFrame(look)
      }
      look()
    })
    await playingPast(video, 0)
    const firstMs = performance.now() - opened
    const firstBlocks = weft.streamedBlocks(cid)
    const target = seconds * 0.8
    const seeked = performance.now()
    video.currentTime = target
    await playingPast(video, target)
    return { firstMs, firstBlocks, seekMs: performance.now() - seeked, blocks: weft.streamedBlocks(cid) }
  }, { cid, seconds })
  console.log(JSON.stringify({
    mib: Number((bytes.byteLength / MIB).toFixed(1)),
    seconds,
    rate: values.rate ?? 'uncapped',
    firstPlayingMs: Math.round(result.firstMs),
    fetchedAtFirstMiB: result.firstBlocks,
    seekTo80PercentPlayingMs: Math.round(result.seekMs),
    fetchedInAllMiB: result.blocks
  }))
  await context.close()
} finally {
  if (capped) await run('tc', ['qdisc', 'del', 'dev', 'lo', 'root'])
  await browser.close()
  await server.stop()
  await removeDir(server.dataDir)
}
