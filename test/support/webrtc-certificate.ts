import { keychain } from '@libp2p/keychain'
import { webRTCDirect } from '@libp2p/webrtc'
import { Key } from 'interface-datastore'
import { openDatastore } from '../../src/store/datastore.js'
import type { ComponentLogger, Logger, Startable } from '@libp2p/interface'

/**
 * Where `@libp2p/webrtc` 6 keeps a WebRTC-direct listener's certificate in
 * the node's datastore (`DEFAULT_CERTIFICATE_DATASTORE_KEY` in its
 * constants, not exported).
 */
const CERTIFICATE_KEY = new Key('/libp2p/webrtc-direct/certificate')

/** How long before its expiry `@libp2p/webrtc` renews the certificate (`DEFAULT_CERTIFICATE_RENEWAL_THRESHOLD`). */
export const RENEWAL_THRESHOLD_MS = 86_400_000

/** The certhash multiaddr component of a WebRTC-direct address (`uEi…`), or undefined. */
export function certhashOf (addr: string): string | undefined {
  return /\/certhash\/([^/]+)/.exec(addr)?.[1]
}

/**
 * Replaces the WebRTC-direct certificate kept in a stopped server's data
 * directory with one that `@libp2p/webrtc` will renew `renewInMs` after the
 * server loads it (it renews a day before expiry), as if the server had been
 * up for most of the certificate's 14 days. The certificate is made by
 * `@libp2p/webrtc`'s own transport, given a short lifespan, from the key the
 * server keeps in its keychain, so it is one the server accepts as its own.
 * Resolves with its certhash.
 */
export async function plantCertificateDueForRenewal (dataDir: string, renewInMs: number): Promise<string> {
  const datastore = await openDatastore(dataDir)
  try {
    await datastore.delete(CERTIFICATE_KEY)
    const components = { datastore, logger: silentLogger, keychain: keychain()({ datastore, logger: silentLogger }) }
    // the transport's other components (upgrader, transport manager...) are for listening and dialling, which it does not do here
    const transport = webRTCDirect({ certificateLifespan: RENEWAL_THRESHOLD_MS + renewInMs })(components as any) as unknown as Startable & { certificate?: { certhash: string } }
    await transport.start?.()
    const certhash = transport.certificate?.certhash
    await transport.stop?.()
    if (certhash == null) throw new Error(`@libp2p/webrtc made no certificate in ${dataDir}`)
    return certhash
  } finally {
    await datastore.close()
  }
}

const silentLog: Logger = Object.assign(() => {}, { error: () => {}, trace: () => {}, enabled: false, newScope: () => silentLog })
const silentLogger: ComponentLogger = { forComponent: () => silentLog }
