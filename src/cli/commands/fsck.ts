import { access } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseCommandLine } from '../args.js'
import { formatCount, formatDuration } from '../progress.js'
import { loadConfig } from '../../config/load.js'
import { formatBytes } from '../../format-bytes.js'
import { StorageOpenError } from '../../errors.js'
import { openBlockBytes } from '../../store/block-bytes.js'
import { BlockStore, type VerifyReport } from '../../store/block-store.js'
import { openDatastore } from '../../store/datastore.js'
import type { Command } from '../io.js'
import type { IntegrityStats } from '../../store/local-blocks.js'

/** What `weft fsck --json` prints. */
export interface FsckReport {
  dataDir: string
  /** What the start-up check (records against files, no block read) found and did. */
  startup: IntegrityStats
  /** What rehashing every block found: CIDs of the blocks dropped. */
  rehash: VerifyReport
  /** Blocks dropped in all, and blocks that could not be read: the exit code is 1 when this is above 0. */
  damaged: number
  /** What the store holds afterwards. */
  usedBytes: number
  blocks: number
  ms: number
}

/** The exit code when the store could not be checked at all (e2fsck's "operational error"). */
export const FSCK_CANNOT_CHECK = 8

/**
 * `weft fsck`: checks the block store of a data directory whose server is
 * stopped. The store's start-up check runs first (temporary files and block
 * files without a record deleted, records without a whole file dropped), then
 * every block is read and hashed; a block that does not hash to its CID is
 * dropped. Exit 0 when no block was dropped, 1 when some were (a running
 * network restores them from their other holders once the server is back),
 * 8 when the store cannot be opened (no data there, or a server holds it).
 */
export const fsck: Command = {
  name: 'fsck',
  usage: 'weft fsck [--data DIR] [--config FILE] [--json]',
  async run (args, io) {
    const cli = parseCommandLine(args, io.env, { json: { type: 'boolean' } })
    if (cli.help) {
      io.stdout.write(`${fsck.usage}\n`)
      return 0
    }
    const config = await loadConfig(cli.sources)
    const dataDir = resolve(config.dataDir)
    const started = Date.now()
    let datastore
    try {
      // opening would create an empty store where the user mistyped the path
      await access(join(dataDir, 'datastore')).catch(err => {
        throw new StorageOpenError(`no weft data directory at ${dataDir} (no datastore in it): is --data right?`, dataDir, { cause: err })
      })
      datastore = await openDatastore(dataDir)
    } catch (err: any) {
      if (err.name !== 'StorageOpenError') throw err
      io.stderr.write(`weft: ${err.name}: ${err.message}\n`)
      return FSCK_CANNOT_CHECK
    }
    let report: FsckReport
    try {
      const bytes = await openBlockBytes(dataDir)
      try {
        const store = await BlockStore.open({ bytes, datastore, maxBytes: config.storage.maxBytes, checkFiles: 'always' })
        const startup = store.integrity()
        const progress = io.isTTY?.stderr === true
          ? (done: number, total: number) => { if (done % 256 === 0 || done === total) io.stderr.write(`\rweft fsck: ${formatCount(done)} of ${formatCount(total)} blocks hashed`) }
          : undefined
        const rehash = await store.verify({ signal: io.signal, ...(progress != null ? { onBlock: progress } : {}) })
        if (progress != null) io.stderr.write('\n')
        await store.close()
        const { usedBytes, blocks } = store.stats()
        const damaged = startup.corruptBlocksDropped + startup.missingBlocksDropped + rehash.corrupt.length + rehash.missing.length + rehash.unreadable.length
        report = { dataDir, startup, rehash, damaged, usedBytes, blocks, ms: Date.now() - started }
      } finally {
        await bytes.close()
      }
    } finally {
      await datastore.close()
    }
    io.stdout.write(cli.extra.json === true ? `${JSON.stringify(report, null, 2)}\n` : formatFsck(report))
    return report.damaged > 0 ? 1 : 0
  }
}

/** The human report: one line per finding, a CID per dropped block, the verdict last. */
export function formatFsck (report: FsckReport): string {
  const { startup, rehash } = report
  const lines = [
    `${report.dataDir}: ${formatCount(rehash.blocks)} block${rehash.blocks === 1 ? '' : 's'} hashed in ${formatDuration(report.ms)}; ` +
      `${formatCount(report.blocks)} whole (${formatBytes(report.usedBytes)})`,
    `start-up check: ${formatCount(startup.missingBlocksDropped)} missing, ${formatCount(startup.corruptBlocksDropped)} wrong-sized block files; ` +
      `${formatCount(startup.orphanFilesRemoved)} unrecorded and ${formatCount(startup.temporaryFilesRemoved)} temporary files deleted`,
    `rehash: ${formatCount(rehash.corrupt.length)} corrupt, ${formatCount(rehash.missing.length)} missing, ${formatCount(rehash.unreadable.length)} unreadable`,
    ...rehash.corrupt.map(cid => `  corrupt ${cid}`),
    ...rehash.missing.map(cid => `  missing ${cid}`),
    ...rehash.unreadable.map(cid => `  unreadable ${cid} (kept: the disk failed to read it)`),
    report.damaged === 0
      ? 'no damage found'
      : `${formatCount(report.damaged)} damaged block${report.damaged === 1 ? '' : 's'}` +
        (rehash.unreadable.length === report.damaged ? '' : ' dropped: the network restores them from their other holders once this server runs again')
  ]
  return lines.map(line => `${line}\n`).join('')
}
