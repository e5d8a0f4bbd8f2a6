import { cidOf, PENDING_PREFIX, pendingKey, recordKey } from './store-keys.js'
import type { Blockstore } from 'interface-blockstore'
import type { Datastore } from 'interface-datastore'

/**
 * Completes what a crash interrupted, first thing at start: a pending marker
 * without a record names bytes nobody accounts for (a put or a deletion cut
 * short), which are deleted; then every marker goes.
 */
export async function finishPending (datastore: Datastore, bytes: Blockstore): Promise<void> {
  const keys: string[] = []
  for await (const key of datastore.queryKeys({ prefix: PENDING_PREFIX })) keys.push(key.toString().slice(PENDING_PREFIX.length))
  const orphans: string[] = []
  for (const key of keys) {
    if (!(await datastore.has(recordKey(key)))) orphans.push(key)
  }
  await Promise.all(orphans.map(async key => { await bytes.delete(cidOf(key)) }))
  const batch = datastore.batch()
  for (const key of keys) batch.delete(pendingKey(key))
  await batch.commit()
}
