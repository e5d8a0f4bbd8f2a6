// Seeders behind links of a fixed rate (issue 15, item 4): each seeder runs
// in a network namespace of its own, joined to the benchmark's namespace by a
// veth pair whose seeder end is shaped by `tc qdisc … tbf`, so what a seeder
// sends leaves at `mbit` at most. The benchmark's namespace routes between
// the seeders (weft's seeders join each other). tbf, not netem: netem is not
// in these kernels.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** One seeder's place: the namespace it runs in and the address it listens on. */
export interface CappedHost {
  netns: string
  host: string
}

/** The links made, and how to remove them. */
export interface CappedLinks {
  hosts: CappedHost[]
  /** Removes the namespaces (and with them the veth pairs and their shaping). */
  close: () => Promise<void>
}

/** Why the links cannot be made here: not root, or not inside bench/run.sh's own namespace. */
export class CappedLinksUnavailableError extends Error {
  override readonly name = 'CappedLinksUnavailableError'
}

/** tbf's bucket: big enough for a 64 KiB noise message at the given rate, small enough to shape within milliseconds. */
const BURST = '128kb'

/** Packets tbf may queue, as time at the rate: beyond it they are dropped, as a full router queue drops them. */
const LATENCY = '100ms'

async function ip (...args: string[]): Promise<void> {
  await run('ip', args)
}

/**
 * Makes `count` namespaces named `weft-seed-<pid>-<i>`, each with a veth
 * pair 10.77.<i>.1 (here) – 10.77.<i>.2 (there), the far end shaped to
 * `mbit`. Only inside the benchmark's own network namespace
 * (WEFT_TEST_NETNS=1, set by test/support/in-netns.sh), so no route or
 * forwarding setting of the machine itself changes.
 */
export async function cappedLinks (count: number, mbit: number): Promise<CappedLinks> {
  if (process.getuid?.() !== 0) throw new CappedLinksUnavailableError('seeders behind capped links need root (network namespaces)')
  if (process.env.WEFT_TEST_NETNS !== '1') throw new CappedLinksUnavailableError('seeders behind capped links are made only inside bench/run.sh\'s network namespace')
  const made: string[] = []
  const close = async (): Promise<void> => {
    await Promise.all(made.map(async netns => ip('netns', 'delete', netns).catch(() => {})))
  }
  try {
    // forwarding in this namespace only: the seeders reach each other through it
    await run('sysctl', ['-qw', 'net.ipv4.ip_forward=1'])
    const hosts: CappedHost[] = []
    for (let i = 0; i < count; i++) {
      const netns = `weft-seed-${process.pid}-${i}`
      const here = `wseed${i}`
      const there = `wseed${i}p`
      await ip('netns', 'add', netns)
      made.push(netns)
      await ip('link', 'add', here, 'type', 'veth', 'peer', 'name', there, 'netns', netns)
      await ip('addr', 'add', `10.77.${i}.1/24`, 'dev', here)
      await ip('link', 'set', here, 'up')
      await ip('-n', netns, 'link', 'set', 'lo', 'up')
      await ip('-n', netns, 'addr', 'add', `10.77.${i}.2/24`, 'dev', there)
      await ip('-n', netns, 'link', 'set', there, 'up')
      await ip('-n', netns, 'route', 'add', 'default', 'via', `10.77.${i}.1`)
      await run('ip', ['netns', 'exec', netns, 'tc', 'qdisc', 'add', 'dev', there, 'root', 'tbf', 'rate', `${mbit}mbit`, 'burst', BURST, 'latency', LATENCY])
      hosts.push({ netns, host: `10.77.${i}.2` })
    }
    return { hosts, close }
  } catch (err) {
    await close()
    throw err
  }
}
