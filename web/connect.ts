import { multiaddr } from '@multiformats/multiaddr'
import type { WeftNode } from '../src/index.js'
import type { Connection } from '@libp2p/interface'

/**
 * How many times a dial is tried before giving up. `@libp2p/webrtc` 6.0.33 has
 * a race in which ~6% of browser-to-browser dials hang until the dial timeout;
 * a second attempt succeeds, so one failure is no reason to give up.
 */
export const DIAL_ATTEMPTS = 3

/**
 * Dials a multiaddr, trying again after a failure, up to `attempts` times.
 * Each attempt is bounded by the node's dial timeout. Resolves with the
 * connection and the number of the attempt that made it.
 */
export async function connectWithRetry (node: WeftNode, addr: string, attempts = DIAL_ATTEMPTS): Promise<{ connection: Connection, attempts: number }> {
  const ma = multiaddr(addr.trim())
  const errors: string[] = []
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return { connection: await node.dial(ma), attempts: attempt }
    } catch (err: any) {
      errors.push(err.message ?? String(err))
    }
  }
  throw new Error(`could not connect after ${attempts} attempts: ${errors.join('; ')}`)
}
