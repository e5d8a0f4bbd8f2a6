import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseCommandLine } from '../args.js'
import { loadConfig } from '../../config/load.js'
import { createNode } from '../../index.js'
import { HttpServer } from '../../http/server.js'
import type { Command } from '../io.js'

/**
 * `weft start`: runs a node until SIGINT/SIGTERM. Prints each listening
 * multiaddr (with `/p2p/<id>`) on its own line, the page's URL if HTTP is on,
 * then `ready`.
 */
export const start: Command = {
  name: 'start',
  usage: 'weft start [--config FILE] [--data DIR] [--listen MULTIADDR]... [--bootstrap MULTIADDR]... [--<setting> VALUE]...',
  async run (args, io) {
    const cli = parseCommandLine(args, io.env)
    if (cli.help) {
      io.stdout.write(`${start.usage}\n`)
      return 0
    }
    const config = await loadConfig(cli.sources)
    const node = await createNode(config)
    let http: HttpServer | undefined
    try {
      // lets `weft id` answer while this process holds the datastore's lock
      await writeFile(join(config.dataDir, 'peer-id'), `${node.peerId.toString()}\n`)
      const lines = node.getMultiaddrs().map(ma => ma.toString())
      if (config.http.enabled) {
        http = new HttpServer(node)
        lines.push(await http.listen(config.http.host, config.http.port))
      }
      io.stdout.write(lines.map(line => `${line}\n`).join('') + 'ready\n')
      if (!io.signal.aborted) {
        await new Promise(resolve => io.signal.addEventListener('abort', resolve, { once: true }))
      }
    } finally {
      await http?.close()
      await node.stop()
    }
    return 0
  }
}
