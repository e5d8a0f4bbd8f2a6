import { CID } from 'multiformats/cid'
import { createNode } from '../../src/index.js'

/** How often `providerFound` asks the DHT again. */
const PROVIDER_POLL_MS = 100

/**
 * Resolves once the DHT, asked from a transient node in this process (as
 * `weft get` runs one), names `provider` a provider of `cid`. A provider
 * record is put in the background, in another process, with no event to
 * await here: this polls, briefly, up to `timeoutMs`.
 */
export async function providerFound (bootstrap: string, cid: string, provider: string, timeoutMs = 30_000): Promise<void> {
  const asker = await createNode({ bootstrap: [bootstrap] }, { transient: true })
  const deadline = Date.now() + timeoutMs
  try {
    for (;;) {
      try {
        for await (const found of asker.libp2p.contentRouting.findProviders(CID.parse(cid), { signal: AbortSignal.timeout(5_000) })) {
          if (found.id.toString() === provider) return
        }
      } catch {
        // a lookup cut short by its timeout: ask again
      }
      if (Date.now() > deadline) throw new Error(`the DHT never named ${provider} a provider of ${cid}`)
      await new Promise(resolve => setTimeout(resolve, PROVIDER_POLL_MS))
    }
  } finally {
    await asker.stop()
  }
}
