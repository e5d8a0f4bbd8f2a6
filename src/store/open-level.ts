import { LevelDatastore } from 'datastore-level'
import { Level } from 'level'

/**
 * Opens a LevelDB (Node.js) or IndexedDB (browser, via browser-level) database
 * as a datastore. The database is opened before LevelDatastore sees it because
 * LevelDatastore's own `open()` flattens the error to a string and loses why
 * (a lock held by another process, a corrupt file).
 */
export async function openLevel (location: string): Promise<LevelDatastore> {
  const db = new Level<string, Uint8Array>(location, { keyEncoding: 'utf8', valueEncoding: 'view' })
  await db.open({ createIfMissing: true, compression: false })
  const store = new LevelDatastore(db)
  await store.open()
  return store
}
