import { parseArgs } from 'node:util'

/** Every measurement `--only` can pick. */
export const MEASUREMENTS = ['transfer', 'swarm', 'put', 'dht', 'memory', 'browser'] as const
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
  /** Counted runs per figure, after one warm-up. */
  runs: number
  dhtSizes: number[]
  /** Lookups per DHT batch. */
  dhtLookups: number
}

/** The usage text printed on a bad option. */
export const USAGE = `npm run bench -- [--quick] [--only transfer,swarm,put,dht,memory,browser]
                     [--sizes 16,256] [--swarm-size 256] [--runs 3] [--dht-sizes 50,200,500] [--dht-lookups 20]
  --quick   16 MiB files and a 50-node DHT: under 3 minutes
  full: 16 and 256 MiB, DHT of 50, 200 and 500 nodes: about 20 minutes
  sizes are MiB`

const MIB = 2 ** 20

function numbers (value: string | undefined, name: string): number[] | undefined {
  if (value == null) return undefined
  const list = value.split(',').map(Number)
  if (list.some(n => !Number.isFinite(n) || n <= 0)) throw new Error(`--${name}: expected positive numbers, got ${value}`)
  return list
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
      runs: { type: 'string' },
      'dht-sizes': { type: 'string' },
      'dht-lookups': { type: 'string' },
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
    runs,
    dhtSizes: numbers(values['dht-sizes'], 'dht-sizes') ?? (quick ? [50] : [50, 200, 500]),
    dhtLookups: numbers(values['dht-lookups'], 'dht-lookups')?.[0] ?? 20
  }
}
