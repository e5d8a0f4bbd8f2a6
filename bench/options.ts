import { parseArgs } from 'node:util'
import { DHT_QUERY, type DhtQueryShape } from '../src/node/common-options.js'

/** Every measurement `--only` can pick. */
export const MEASUREMENTS = ['transfer', 'swarm', 'capped', 'put', 'dht', 'memory', 'browser', 'scale', 'repair', 'durability', 'encryption', 'page-streaming', 'page-download', 'startup'] as const
/** One measurement's name. */
export type Measurement = typeof MEASUREMENTS[number]

/** What one `npm run bench` does. */
export interface BenchOptions {
  quick: boolean
  only: Set<Measurement>
  /** File sizes for item 1, bytes. */
  sizes: number[]
  /** File size for item 2 (4 seeders vs 1), bytes. */
  swarmSize: number
  /** Item 2b: the file size and each seeder's link rate when the seeders sit behind capped links. */
  cappedSize: number
  cappedMbit: number
  /** Counted runs per figure, after one warm-up. */
  runs: number
  /** Network sizes of item 4 spread over processes on TCP loopback (the target's setup). */
  dhtSizes: number[]
  /** Over how many worker processes those networks are spread. */
  dhtProcesses: number
  /** Network sizes of item 4 in one process over the in-memory transport (the comparison; none: skipped). */
  dhtMemorySizes: number[]
  /** Lookups per DHT batch. */
  dhtLookups: number
  /**
   * kad-dht lookup shapes item 4's networks over processes are built with,
   * one row each per size, side by side: undefined is weft's own (DHT_QUERY).
   */
  dhtQueries: Array<DhtQueryShape | undefined>
  /** File size for item 3 (put), bytes. */
  putSize: number
  /** File sizes for item 5's fetchers, bytes: the largest is the one the target names, the others show the slope. */
  memorySizes: number[]
  /** Blocks the idle server of item 5 holds. */
  idleBlocks: number
  /** Testnet sizes for item 7 (CLI put and get), servers. */
  scaleServers: number[]
  /** File size for item 7, bytes. */
  scaleSize: number
  /** Testnet size for item 8 (repair), servers. */
  repairServers: number
  /** Replicas the leaving server of item 8 holds. */
  repairBlocks: number
  /** Item 9a: testnet size, and the blocks the server that dies holds (one row each). */
  durabilityServers: number
  durabilityBlocks: number[]
  /** Item 9b: servers auditing, for how many seconds, at what rate. */
  auditServers: number
  auditSeconds: number
  auditsPerHour: number
  /** Item 9c: the file put twice, bytes, and into how many servers. */
  reputSize: number
  reputServers: number
  /** Systems whose fetcher RSS item 5 shows beside weft's at the largest size. */
  memoryCompare: string[]
  /** File size for item 6's page transfers, bytes. */
  browserSize: number
  /** Counted runs per item 6 row (quick: 1, after one warm-up of the browser before the first row only). */
  browserRuns: number
  /** Issue 18: the file size of the plain and encrypted puts and gets, bytes. */
  encryptionSize: number
  /** Item 6b: the WebM's length in seconds (8 Mbit/s: 120 s is 114 MiB). */
  pageVideoSeconds: number
  /** Item 6c: the file a page saves to disk, bytes. */
  pageDownloadSize: number
}

/** The usage text printed on a bad option. */
export const USAGE = `npm run bench -- [--quick] [--only ${MEASUREMENTS.join(',')}]
                     [--sizes 16,256] [--swarm-size 256] [--capped-size 64] [--capped-mbit 100] [--runs 3] [--dht-sizes 50,200,500] [--dht-processes 8]
                     [--dht-memory-sizes 50,200] [--dht-lookups 20] [--dht-query weft,10x10,3x1]
                     [--put-size 256] [--memory-sizes 256,1024] [--idle-blocks 10000] [--memory-compare Helia]
                     [--browser-size 64] [--scale-servers 5,20,50] [--scale-size 256] [--repair-servers 50] [--repair-blocks 10000]
                     [--durability-servers 50] [--durability-blocks 1000,10000] [--audit-servers 4] [--audit-seconds 60] [--audits-per-hour 3600]
                     [--reput-size 256] [--reput-servers 5] [--encryption-size 64] [--page-video-seconds 120] [--page-download-size 1024]
  --quick   16 MiB transfers (and 16 MiB from seeders capped at 100 Mbit/s), 16 MiB put, weft fetchers of 16 (item 1's) and 128 MiB, 1,000 idle blocks,
            a 50-node DHT over 4 processes (10 lookups a batch), 16 MiB page transfers with one run per
            row, CLI put/get of 16 MiB into 5 and 10 servers, repair of 1,000 blocks among 10 servers,
            durability (a server of 1,000 blocks killed among 10, 4 servers auditing for 20 s, 16 MiB put twice),
            a page playing a 30 s WebM (28.5 MiB) and saving 64 MiB to disk: under 10 minutes
  full: 16 and 256 MiB transfers, 64 MiB from 1 and 4 seeders each capped at 100 Mbit/s, 256 MiB put, weft and Helia fetchers of 256 MiB and 1 GiB, 10,000 idle
        blocks, DHT of 50, 200 and 500 nodes over 8 processes and of 50 and 200 in one process, 64 MiB page
        transfers, CLI put/get of 256 MiB into 5, 20 and 50 servers, repair of 10,000 blocks among 50
        servers, durability (servers of 1,000 and 10,000 blocks killed among 50, 4 servers auditing for
        60 s, 256 MiB put twice), a page playing a 120 s WebM (114 MiB) and saving 1 GiB to disk: about an hour and a half
  encryption: plain and encrypted puts and gets of 16 MiB (quick) or 64 MiB (full) through 3 server processes
  sizes are MiB; --memory-compare takes system names (Helia, WebTorrent) or none; --dht-memory-sizes none
  skips the one-process DHT rows`

const MIB = 2 ** 20

function numbers (value: string | undefined, name: string): number[] | undefined {
  if (value == null) return undefined
  const list = value.split(',').map(Number)
  if (list.some(n => !Number.isFinite(n) || n <= 0)) throw new Error(`--${name}: expected positive numbers, got ${value}`)
  return list
}

/**
 * `--dht-query weft,10x10,3x1,weft+connected,weft+close`: weft's own shape,
 * or alpha x disjoint paths; `+connected` or `+close` for another
 * routing-table intake than kad-dht's own (src/node/connected-table.ts).
 */
function dhtQueries (value: string | undefined): Array<DhtQueryShape | undefined> {
  if (value == null) return [undefined]
  return value.split(',').map(item => {
    const [shape, ...flags] = item.split('+')
    if (flags.length > 1 || flags.some(f => f !== 'connected' && f !== 'close')) throw new Error(`--dht-query: the one flag is +connected or +close, got ${item}`)
    const intake = flags.length > 0 ? { tableIntake: flags[0] as 'connected' | 'close' } : {}
    if (shape === 'weft') return flags.length > 0 ? { ...DHT_QUERY, ...intake } : undefined
    const match = /^(\d+)x(\d+)$/.exec(shape)
    if (match == null || Number(match[1]) < 1 || Number(match[2]) < 1) throw new Error(`--dht-query: expected weft or <alpha>x<paths> such as 3x1, optionally +connected or +close, got ${item}`)
    return { alpha: Number(match[1]), disjointPaths: Number(match[2]), ...intake }
  })
}

/** Parses the command line; throws with the usage on anything unknown. */
export function parseOptions (argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      sizes: { type: 'string' },
      'swarm-size': { type: 'string' },
      'capped-size': { type: 'string' },
      'capped-mbit': { type: 'string' },
      runs: { type: 'string' },
      'dht-sizes': { type: 'string' },
      'dht-processes': { type: 'string' },
      'dht-memory-sizes': { type: 'string' },
      'dht-lookups': { type: 'string' },
      'dht-query': { type: 'string' },
      'put-size': { type: 'string' },
      'memory-sizes': { type: 'string' },
      'idle-blocks': { type: 'string' },
      'memory-compare': { type: 'string' },
      'browser-size': { type: 'string' },
      'scale-servers': { type: 'string' },
      'scale-size': { type: 'string' },
      'repair-servers': { type: 'string' },
      'repair-blocks': { type: 'string' },
      'durability-servers': { type: 'string' },
      'durability-blocks': { type: 'string' },
      'audit-servers': { type: 'string' },
      'audit-seconds': { type: 'string' },
      'audits-per-hour': { type: 'string' },
      'reput-size': { type: 'string' },
      'reput-servers': { type: 'string' },
      'encryption-size': { type: 'string' },
      'page-video-seconds': { type: 'string' },
      'page-download-size': { type: 'string' },
      help: { type: 'boolean', default: false }
    }
  })
  if (values.help === true) throw new Error(USAGE)
  const only = values.only?.split(',') ?? [...MEASUREMENTS]
  for (const name of only) {
    if (!(MEASUREMENTS as readonly string[]).includes(name)) throw new Error(`--only: unknown measurement ${name}\n${USAGE}`)
  }
  const quick = values.quick === true
  const sizes = (numbers(values.sizes, 'sizes') ?? (quick ? [16] : [16, 256])).map(s => s * MIB)
  const runs = numbers(values.runs, 'runs')?.[0] ?? 3
  if (runs < 3) throw new Error('--runs: at least 3')
  return {
    quick,
    only: new Set(only as Measurement[]),
    sizes,
    swarmSize: (numbers(values['swarm-size'], 'swarm-size')?.[0] ?? (quick ? 16 : 256)) * MIB,
    cappedSize: (numbers(values['capped-size'], 'capped-size')?.[0] ?? (quick ? 16 : 64)) * MIB,
    cappedMbit: numbers(values['capped-mbit'], 'capped-mbit')?.[0] ?? 100,
    runs,
    dhtSizes: numbers(values['dht-sizes'], 'dht-sizes') ?? (quick ? [50] : [50, 200, 500]),
    dhtProcesses: numbers(values['dht-processes'], 'dht-processes')?.[0] ?? (quick ? 4 : 8),
    dhtMemorySizes: values['dht-memory-sizes'] === 'none' ? [] : numbers(values['dht-memory-sizes'], 'dht-memory-sizes') ?? (quick ? [] : [50, 200]),
    dhtLookups: numbers(values['dht-lookups'], 'dht-lookups')?.[0] ?? (quick ? 10 : 20),
    dhtQueries: dhtQueries(values['dht-query']),
    putSize: (numbers(values['put-size'], 'put-size')?.[0] ?? (quick ? 16 : 256)) * MIB,
    memorySizes: (numbers(values['memory-sizes'], 'memory-sizes') ?? (quick ? [16, 128] : [256, 1024])).map(s => s * MIB),
    idleBlocks: numbers(values['idle-blocks'], 'idle-blocks')?.[0] ?? (quick ? 1000 : 10_000),
    scaleServers: numbers(values['scale-servers'], 'scale-servers') ?? (quick ? [5, 10] : [5, 20, 50]),
    scaleSize: (numbers(values['scale-size'], 'scale-size')?.[0] ?? (quick ? 16 : 256)) * MIB,
    repairServers: numbers(values['repair-servers'], 'repair-servers')?.[0] ?? (quick ? 10 : 50),
    repairBlocks: numbers(values['repair-blocks'], 'repair-blocks')?.[0] ?? (quick ? 1000 : 10_000),
    durabilityServers: numbers(values['durability-servers'], 'durability-servers')?.[0] ?? (quick ? 10 : 50),
    durabilityBlocks: numbers(values['durability-blocks'], 'durability-blocks') ?? (quick ? [1000] : [1000, 10_000]),
    auditServers: numbers(values['audit-servers'], 'audit-servers')?.[0] ?? 4,
    auditSeconds: numbers(values['audit-seconds'], 'audit-seconds')?.[0] ?? (quick ? 20 : 60),
    auditsPerHour: numbers(values['audits-per-hour'], 'audits-per-hour')?.[0] ?? 3600,
    reputSize: (numbers(values['reput-size'], 'reput-size')?.[0] ?? (quick ? 16 : 256)) * MIB,
    reputServers: numbers(values['reput-servers'], 'reput-servers')?.[0] ?? 5,
    memoryCompare: values['memory-compare'] == null ? (quick ? [] : ['Helia']) : values['memory-compare'].split(',').filter(name => name !== '' && name !== 'none'),
    browserSize: (numbers(values['browser-size'], 'browser-size')?.[0] ?? (quick ? 16 : 64)) * MIB,
    browserRuns: quick ? 1 : runs,
    encryptionSize: (numbers(values['encryption-size'], 'encryption-size')?.[0] ?? (quick ? 16 : 64)) * MIB,
    pageVideoSeconds: numbers(values['page-video-seconds'], 'page-video-seconds')?.[0] ?? (quick ? 30 : 120),
    pageDownloadSize: (numbers(values['page-download-size'], 'page-download-size')?.[0] ?? (quick ? 64 : 1024)) * MIB
  }
}
