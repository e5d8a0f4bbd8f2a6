// A node's own key, kept in its datastore so it keeps its PeerId across
// restarts. In Node.js it lives in libp2p's keychain (where @libp2p/config
// keeps it for Helia and `weft id` reads it); a page keeps it plainly
// (self-key.browser.ts), without the keychain's ASN.1 code.
import type { PrivateKey } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

/** The node's key from `datastore`, made (Ed25519) and stored on first use. */
export async function loadSelfKey (datastore: Datastore): Promise<PrivateKey> {
  // loaded here, not at the top: a transient node (the CLI's get) makes a
  // fresh key without the keychain and its ASN.1 code (see create-node.ts)
  const { loadOrCreateSelfKey } = await import('@libp2p/config')
  return loadOrCreateSelfKey(datastore)
}
