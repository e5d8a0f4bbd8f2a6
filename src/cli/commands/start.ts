import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseCommandLine } from '../args.js'
import { loadCommandConfig } from '../command-config.js'
import { dataDirBefore } from '../data-dir-cleanup.js'
import { removeListeningFile, writeListeningFile } from '../find-server.js'
import { listenErrorFromHttp, listenErrorFromLibp2p } from '../listen-errors.js'
import { watchBootstrap } from '../bootstrap-watch.js'
import { serveControl } from '../control-socket.js'
import { createNode, type WeftNode } from '../../index.js'
import { HttpServer } from '../../http/server.js'
import type { Command } from '../io.js'

/**
 * `weft start`: runs a node until SIGINT/SIGTERM. Prints each listening
 * multiaddr (with `/p2p/<id>`) on its own line, the page's URL if HTTP is on,
 * then `ready`. While it runs, `<dataDir>/listening.json` says where it
 * listens, for `weft put/get --data DIR` and `--bootstrap DIR`, and
 * `<dataDir>/control.sock` answers `weft pin`, `unpin` and `gc`.
 */
export const start: Command = {
  name: 'start',
  usage: 'weft start [--config FILE] [--data DIR] [--listen MULTIADDR]... [--bootstrap MULTIADDR|URL|DIR]... [--<setting> VALUE]...',
  async run (args, io) {
    const cli = parseCommandLine(args, io.env)
    if (cli.help) {
      io.stdout.write(`${start.usage}\n`)
      return 0
    }
    const config = await loadCommandConfig(cli.sources, io)
    const before = await dataDirBefore(config.dataDir)
    let node: WeftNode
    try {
      node = await createNode(config)
    } catch (err) {
      await before.undo()
      throw listenErrorFromLibp2p(err, config.listen) ?? err
    }
    let http: HttpServer | undefined
    let ready = false
    let stopWatching = (): void => {}
    let control: Awaited<ReturnType<typeof serveControl>>
    try {
      // lets `weft id` answer while this process holds the datastore's lock
      await writeFile(join(config.dataDir, 'peer-id'), `${node.peerId.toString()}\n`)
      const multiaddrs = node.getMultiaddrs().map(ma => ma.toString())
      let httpUrl: string | undefined
      if (config.http.enabled) {
        http = new HttpServer(node)
        try {
          httpUrl = await http.listen(config.http.host, config.http.port)
        } catch (err) {
          throw listenErrorFromHttp(err, config.http.host, config.http.port) ?? err
        }
      }
      control = await serveControl(node, config.dataDir)
      await writeListeningFile(config.dataDir, { peerId: node.peerId.toString(), multiaddrs, ...(httpUrl != null ? { http: httpUrl } : {}), pid: process.pid })
      ready = true
      io.stdout.write([...multiaddrs, ...(httpUrl != null ? [httpUrl] : [])].map(line => `${line}\n`).join('') + 'ready\n')
      stopWatching = watchBootstrap(node, message => { io.stderr.write(`weft: ${message}\n`) })
      if (!io.signal.aborted) {
        await new Promise(resolve => io.signal.addEventListener('abort', resolve, { once: true }))
      }
    } finally {
      stopWatching()
      await control?.close()
      await http?.close()
      await node.stop()
      if (ready) await removeListeningFile(config.dataDir)
      else await before.undo()
    }
    return 0
  }
}
