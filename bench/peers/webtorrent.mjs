// WebTorrent peer over TCP only: no DHT, trackers, LSD, uTP, web seeds or
// NAT traversal. `seed` writes the .torrent beside the file for the fetcher;
// `fetch` adds it and is given each seeder's address with `addPeer`.
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import WebTorrent from 'webtorrent'
import { Verifier, main, report, task, untilReleased } from './common.mjs'

function client () {
  return new WebTorrent({ dht: false, tracker: false, lsd: false, utp: false, webSeeds: false, natUpnp: false, natPmp: false })
}

async function listening (c) {
  if (!c.listening) await new Promise(resolve => c.once('listening', resolve))
  return c.address().port
}

async function seed ({ file, torrentFile, host }) {
  const c = client()
  const torrent = await new Promise((resolve, reject) => {
    c.once('error', reject)
    c.seed(file, { announce: [] }, resolve)
  })
  await writeFile(torrentFile, torrent.torrentFile)
  report({ ready: true, addr: `${host ?? '127.0.0.1'}:${await listening(c)}`, torrentFile })
  await untilReleased()
  await new Promise(resolve => c.destroy(resolve))
}

async function fetch ({ seeders, size, sha256 }) {
  const c = client()
  // WebTorrent's default store writes pieces to disk: that is what its users get
  const path = await mkdtemp(join(tmpdir(), 'weft-bench-wt-'))
  try {
    const torrentFile = await readFile(seeders[0].torrentFile)
    const verifier = new Verifier({ size, sha256 })
    const torrent = c.add(torrentFile, { path, announce: [] })
    await new Promise((resolve, reject) => {
      // addPeer is refused before the torrent knows its infohash
      const addPeers = () => { for (const s of seeders) torrent.addPeer(s.addr) }
      if (torrent.infoHash != null) addPeers()
      else torrent.once('infoHash', addPeers)
      torrent.once('done', resolve)
      torrent.once('error', reject)
      c.once('error', reject)
    })
    // pieces arrive out of order: hash the file in order once it is complete
    for await (const chunk of torrent.files[0]) verifier.update(chunk)
    report(verifier.finish())
  } finally {
    await new Promise(resolve => c.destroy(resolve))
    await rm(path, { recursive: true, force: true })
  }
}

main(async () => {
  const t = task()
  await (t.role === 'seed' ? seed(t) : fetch(t))
})
