// A page's own key, kept in its IndexedDB datastore as the key's protobuf
// bytes. Not in libp2p's keychain, as a server's is: the keychain's PKCS#8
// export brings ASN.1 code worth a fifth of the page's bundle, and with no
// password its encryption guards nothing a page's storage does not already.
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { Key } from 'interface-datastore'
import type { loadSelfKey as NodeTwin } from './self-key.js'

/** Where a page keeps its key. */
export const SELF_KEY = new Key('/weft/self-key')

/** Where @libp2p/config's keychain kept it, in pages made before. */
const KEYCHAIN_SELF_KEY = new Key('/pkcs8/self')

export const loadSelfKey: typeof NodeTwin = async (datastore) => {
  if (await datastore.has(SELF_KEY)) return privateKeyFromProtobuf(await datastore.get(SELF_KEY))
  // a page from before keeps its PeerId: its key is read from the keychain
  // once (whose code loads only for this) and kept here from then on
  const key = await datastore.has(KEYCHAIN_SELF_KEY)
    ? await (await import('@libp2p/config')).loadOrCreateSelfKey(datastore)
    : await generateKeyPair('Ed25519')
  await datastore.put(SELF_KEY, privateKeyToProtobuf(key))
  return key
}
