// Every system the transfer figures compare, in table order.
import { fileURLToPath } from 'node:url'
import type { TransferSystem } from './transfer.js'

/** The repository root (this file runs from dist/bench/). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** The package of peer systems that must stay out of the root package.json. */
export const PEERS_DIR = fileURLToPath(new URL('../../bench/peers/', import.meta.url))

const compiled = (name: string): string => fileURLToPath(new URL(`./${name}`, import.meta.url))

/** The name of the libp2p one-stream figure, the limit the others are compared with. */
export const STACK_LIMIT = 'libp2p one stream'

/** weft's own figure. */
export const WEFT_GET = 'weft get'

/** weft as a user runs it: `weft start` seeded by `weft put`, a fresh `weft get` process per run. */
export const WEFT_GET_CLI = 'weft get (CLI)'

/** The same, as issue 15 item 1 words it: `weft get CID > file`, stdout redirected to a file by the benchmark. */
export const WEFT_GET_CLI_STDOUT = 'weft get (CLI, > file)'

export const HELIA = 'Helia'
export const WEBTORRENT = 'WebTorrent'

/** The transfer systems, in table order; a system without `script` prints its `missing` text. */
export const SYSTEMS: TransferSystem[] = [
  { name: 'raw TCP', script: compiled('peer-tcp.js'), swarms: false },
  { name: STACK_LIMIT, script: compiled('peer-libp2p.js'), swarms: false },
  // seed = a weft server holding every block, fetch = a transient node's get, verified
  { name: WEFT_GET, script: compiled('peer-weft.js'), swarms: true },
  { name: WEFT_GET_CLI, script: compiled('peer-weft-cli.js'), swarms: false },
  { name: WEFT_GET_CLI_STDOUT, script: compiled('peer-weft-cli.js'), swarms: false, variant: 'stdout' },
  { name: HELIA, script: `${PEERS_DIR}helia.mjs`, swarms: true },
  { name: WEBTORRENT, script: `${PEERS_DIR}webtorrent.mjs`, swarms: true }
]

/** Whether a system's peers live in bench/peers (and need its install). */
export function needsPeersPackage (system: TransferSystem): boolean {
  return system.script?.startsWith(PEERS_DIR) === true
}
