import { open, rename, rm, type FileHandle } from 'node:fs/promises'
import { parseCommandLine } from '../args.js'
import { writeBytes, type Command } from '../io.js'
import { formatBytes } from '../../format-bytes.js'
import { formatDuration, formatRate, progressBar } from '../progress.js'
import { joinNetwork, onePositional, requireBootstrap, TRANSFER_FLAGS } from '../transfer.js'
import { loadCommandConfig } from '../command-config.js'
import { resolveOutputPath } from '../output-path.js'
import { parseGetTarget } from '../target.js'
import { createNode, parseCidString } from '../../index.js'
import { UsageError } from '../../errors.js'

/** Suffix of the file a get writes into before renaming it to the name asked for. */
export const PARTIAL_SUFFIX = '.partial'

/**
 * `weft get CID [-o FILE]`: fetches a file through a transient node and
 * writes it to FILE (whole or not at all) or to stdout.
 */
export const get: Command = {
  name: 'get',
  usage: 'weft get CID|LINK [-o FILE|DIR/] [--offset N] [--length N] [--bootstrap MULTIADDR|URL|DIR]... [--config FILE] [--quiet] [--<setting> VALUE]...',
  async run (args, io) {
    const cli = parseCommandLine(args, io.env, {
      ...TRANSFER_FLAGS,
      output: { type: 'string', short: 'o' },
      offset: { type: 'string' },
      length: { type: 'string' }
    }, true)
    if (cli.help) {
      io.stdout.write(`${get.usage}\n`)
      return 0
    }
    // a mistyped CID fails here, before any networking
    const target = parseGetTarget(onePositional(cli.positionals, 'CID', get.usage))
    const cid = parseCidString(target.cid)
    const offset = byteCount(cli.extra.offset, '--offset')
    const length = byteCount(cli.extra.length, '--length')
    const quiet = cli.extra.quiet === true
    const outPath = cli.extra.output === '-' || cli.extra.output == null ? undefined : await resolveOutputPath(String(cli.extra.output), target.name ?? cid.toString())
    const config = await loadCommandConfig(cli.sources, io, { localServer: true, ...(target.server != null ? { server: target.server } : {}) })
    requireBootstrap(config)

    // the output file is written under another name and renamed once whole,
    // so a failed get never leaves a truncated FILE; opened first so a bad
    // path fails before any networking
    const partial = outPath == null ? undefined : `${outPath}${PARTIAL_SUFFIX}`
    let file: FileHandle | undefined
    if (partial != null) {
      try {
        file = await open(partial, 'w')
      } catch (err: any) {
        throw new Error(`cannot write ${JSON.stringify(partial)}: ${err?.code ?? err?.message}`, { cause: err })
      }
    }
    let complete = false
    let done = 0
    let elapsed = 0
    try {
      const node = await createNode(config, { transient: true })
      try {
        await joinNetwork(node, io.signal)
        // one fetch session for the size and the bytes: the root comes once
        const content = node.open(cid, { signal: io.signal })
        const stat = await content.stat({ signal: io.signal })
        const start = Math.min(offset ?? 0, stat.size)
        const total = Math.min(length ?? Infinity, stat.size - start)
        const started = performance.now()
        const bar = progressBar(io.stderr, { label: 'get', total, enabled: io.isTTY?.stderr === true && !quiet })
        try {
          for await (const chunk of content.read({ signal: io.signal, ...(offset != null ? { offset } : {}), ...(length != null ? { length } : {}) })) {
            if (file != null) await writeAll(file, chunk)
            else await writeBytes(io.stdout, chunk, io.signal)
            done += chunk.byteLength
            bar.update(done)
          }
        } finally {
          bar.finish()
        }
        elapsed = performance.now() - started
      } finally {
        await node.stop()
      }
      if (file != null && outPath != null && partial != null) {
        await file.sync()
        await file.close()
        file = undefined
        await rename(partial, outPath)
      }
      complete = true
      if (!quiet) {
        const where = outPath == null ? '' : ` to ${outPath}`
        io.stderr.write(`fetched ${formatBytes(done)}${where} (${formatDuration(elapsed)}, ${formatRate(done, elapsed)})\n`)
      }
    } finally {
      await file?.close()
      if (!complete && partial != null) await rm(partial, { force: true })
    }
    return 0
  }
}

/** A `--offset`/`--length` value: a whole number of bytes, or a UsageError naming the flag. */
function byteCount (value: unknown, flag: string): number | undefined {
  if (value == null) return undefined
  const text = String(value)
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`${flag} must be a whole number of bytes, got "${text}"`, text)
  }
  return Number(text)
}

async function writeAll (file: FileHandle, bytes: Uint8Array): Promise<void> {
  let written = 0
  while (written < bytes.byteLength) {
    const { bytesWritten } = await file.write(bytes, written, bytes.byteLength - written)
    written += bytesWritten
  }
}
