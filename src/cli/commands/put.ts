import { open } from 'node:fs/promises'
import { parseCommandLine } from '../args.js'
import { formatBytes } from '../../format-bytes.js'
import { formatCount, formatDuration, formatRate, progressBar } from '../progress.js'
import { loadCommandConfig } from '../command-config.js'
import { createNode } from '../../index.js'
import { UsageError, type QuorumNotReachedError, type ShortBlockReport } from '../../errors.js'
import { TRANSFER_FLAGS, joinNetwork, onePositional, requireBootstrap } from '../transfer.js'
import { ENCRYPT_FLAGS, ENCRYPT_USAGE, encryptedPut, encryptedPutOutput } from '../encrypt-flags.js'
import type { Command, CommandIO } from '../io.js'

/**
 * `weft put FILE|-`: stores a file (or stdin) in the network through a
 * transient node and prints its CID as the last line of stdout.
 */
export const put: Command = {
  name: 'put',
  usage: `weft put FILE|- [--min-replicas N] [--bootstrap MULTIADDR|URL|DIR]... [--config FILE] [--quiet] ${ENCRYPT_USAGE} [--<setting> VALUE]...`,
  async run (args, io) {
    const cli = parseCommandLine(args, io.env, { ...TRANSFER_FLAGS, 'min-replicas': { type: 'string' }, ...ENCRYPT_FLAGS }, true)
    if (cli.help) {
      io.stdout.write(`${put.usage}\n`)
      return 0
    }
    const path = onePositional(cli.positionals, 'FILE (or - for stdin)', put.usage)
    const quiet = cli.extra.quiet === true
    const minReplicas = replicaCount(cli.extra['min-replicas'])
    const config = await loadCommandConfig(cli.sources, io, { localServer: true })
    if (minReplicas != null && minReplicas > config.storage.replication) {
      throw new UsageError(`--min-replicas ${minReplicas} is more than storage.replication (${config.storage.replication}): a block is stored at no more servers than that`, String(minReplicas))
    }
    const input = await openInput(path, io)
    try {
      const encrypted = await encryptedPut(cli.extra, config, path, abortable(input.source, io.signal))
      requireBootstrap(config)
      const node = await createNode(config, { transient: true, joinsFirst: true })
      try {
        await joinNetwork(node, io.signal)
        const started = performance.now()
        const bar = progressBar(io.stderr, { label: 'put', enabled: io.isTTY?.stderr === true && !quiet, ...(input.size != null ? { total: input.size } : {}) })
        // progress counts bytes stored at their replicas, not bytes read,
        // which run a window of blocks ahead
        let placed = 0
        let result
        try {
          result = await node.put(encrypted.source, {
            signal: io.signal,
            ...(minReplicas != null ? { minReplicas } : {}),
            ...(encrypted.encrypt != null ? { encrypt: encrypted.encrypt } : {}),
            onProgress: evt => {
              if (evt.type !== 'weft:put:placed') return
              placed += evt.detail.bytes
              bar.update(placed)
            }
          })
        } catch (err: any) {
          bar.finish()
          // which blocks fell short and why, before main's one-line verdict
          if (!quiet && err?.name === 'QuorumNotReachedError') writeShortBlocks(io, (err as QuorumNotReachedError).blocks)
          throw err
        } finally {
          bar.finish()
        }
        const elapsed = performance.now() - started
        io.stdout.write(`${encryptedPutOutput(result, cli.extra, config, path) ?? result.cid.toString()}\n`)
        if (!quiet) {
          const following = result.pending > 0 ? `, ${formatCount(result.pending)} more being made by servers` : ''
          const already = result.alreadyStored > 0 ? `, ${result.alreadyStored === result.blocks ? 'all' : formatCount(result.alreadyStored)} already stored` : ''
          const fewer = result.replicas < config.storage.writeQuorum ? `, fewer than the write quorum ${config.storage.writeQuorum} as --min-replicas ${result.writeQuorum} allows` : ''
          io.stderr.write(`stored ${formatBytes(result.size)} in ${result.blocks} block${result.blocks === 1 ? '' : 's'}, ` +
            `${replicasLine(result.blocksByReplicas)}${fewer}${following} (${formatDuration(elapsed)}, ${formatRate(result.size, elapsed)}, ` +
            `${formatBytes(result.bytesSent)} sent${already})\n`)
          writeShortBlocks(io, result.short)
        }
      } finally {
        await node.stop()
      }
    } finally {
      input.close()
    }
    return 0
  }
}

/**
 * How many replicas the blocks got: `3 replicas each`, or, where they
 * differ, `2-3 replicas (3 on 15 blocks, 2 on 2)`.
 */
export function replicasLine (blocksByReplicas: Record<number, number>): string {
  const counts = Object.entries(blocksByReplicas).map(([replicas, blocks]) => ({ replicas: Number(replicas), blocks })).sort((a, b) => b.replicas - a.replicas)
  const plural = (n: number): string => n === 1 ? '' : 's'
  if (counts.length <= 1) {
    const replicas = counts[0]?.replicas ?? 0
    return `${replicas} replica${plural(replicas)} each`
  }
  const low = counts[counts.length - 1].replicas
  const high = counts[0].replicas
  const parts = counts.map((c, i) => `${c.replicas} on ${formatCount(c.blocks)}${i === 0 ? ` block${plural(c.blocks)}` : ''}`)
  return `${low}-${high} replicas (${parts.join(', ')})`
}

/** One line per block a put left short: the replicas it got, and each server that refused or failed it and why. */
function writeShortBlocks (io: CommandIO, blocks: ShortBlockReport[]): void {
  for (const block of blocks) {
    const why = block.refusals.length > 0 ? block.refusals.join('; ') : 'no other server found'
    io.stderr.write(`short block ${block.cid}: ${block.replicas} replica${block.replicas === 1 ? '' : 's'}; ${why}\n`)
  }
}

/** `--min-replicas N`: a whole number of at least 1, or a UsageError naming the flag. */
function replicaCount (value: unknown): number | undefined {
  if (value == null) return undefined
  const text = String(value)
  if (!/^\d+$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`--min-replicas must be a whole number of at least 1, got "${text}"`, text)
  }
  return Number(text)
}

interface Input {
  source: AsyncIterable<Uint8Array>
  /** Bytes to expect, when the input is a regular file. */
  size?: number
  close: () => void
}

/** Opens FILE (or stdin for `-`) as a stream; a missing or unreadable file is an error naming the path. */
async function openInput (path: string, io: CommandIO): Promise<Input> {
  if (path === '-') {
    if (io.stdin == null) throw new UsageError('"-" reads stdin, but this command has none', path)
    const stdin = io.stdin
    // a read still pending on an interrupted put would keep the process alive
    return { source: stdin, close: () => { (stdin as { destroy?: () => void }).destroy?.() } }
  }
  let handle
  try {
    handle = await open(path, 'r')
  } catch (err: any) {
    throw new Error(`cannot read ${JSON.stringify(path)}: ${describeFsError(err)}`, { cause: err })
  }
  const stats = await handle.stat()
  if (stats.isDirectory()) {
    await handle.close()
    throw new Error(`cannot read ${JSON.stringify(path)}: it is a directory`)
  }
  // streamed a chunk at a time: a file of any size costs a window of chunks
  const stream = handle.createReadStream()
  return {
    source: stream,
    ...(stats.isFile() ? { size: stats.size } : {}),
    close: () => { stream.destroy() }
  }
}

/**
 * The input, cut off when `signal` aborts even while a read is pending: the
 * importer looks at the signal only between chunks, and a pipe with no
 * writer (`weft put -` reading a terminal) may never send the next one.
 */
async function * abortable (source: AsyncIterable<Uint8Array>, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  const chunks = source[Symbol.asyncIterator]()
  let onAbort = (): void => {}
  const aborted = new Promise<never>((_resolve, reject) => { onAbort = () => { reject(signal.reason) } })
  aborted.catch(() => {})
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    signal.throwIfAborted()
    for (;;) {
      const next = await Promise.race([chunks.next(), aborted])
      if (next.done === true) return
      yield next.value
    }
  } finally {
    signal.removeEventListener('abort', onAbort)
    // ends a Node stream's pending read (it destroys the stream)
    Promise.resolve(chunks.return?.()).catch(() => {})
  }
}

function describeFsError (err: any): string {
  switch (err?.code) {
    case 'ENOENT': return 'no such file'
    case 'EACCES': return 'permission denied'
    case 'EISDIR': return 'it is a directory'
    default: return err?.code ?? err?.message ?? String(err)
  }
}

