import { open, rename, rm, stat as statFile, type FileHandle } from 'node:fs/promises'
import { sha256 } from 'multiformats/hashes/sha2'
import { equals } from 'uint8arrays/equals'
import { parseCommandLine } from '../args.js'
import { writeBytes, type Command } from '../io.js'
import { formatBytes } from '../../format-bytes.js'
import { peakRssBytes } from '../../peak-rss.js'
import { formatCount, formatDuration, formatRate, progressBar } from '../progress.js'
import { joinNetwork, onePositional, requireBootstrap, TRANSFER_FLAGS } from '../transfer.js'
import { loadCommandConfig } from '../command-config.js'
import { resolveOutputPath } from '../output-path.js'
import { createNode, parseCidString, type FilePart } from '../../index.js'
import { UsageError } from '../../errors.js'
import { getTargetOf } from '../encrypt-flags.js'

/** Suffix of the file a get writes into before renaming it to the name asked for. */
export const PARTIAL_SUFFIX = '.partial'

const IDENTITY_CODE = 0x00

/**
 * `weft get CID [-o FILE]`: fetches a file through a transient node and
 * writes it to FILE (whole or not at all) or to stdout. A whole-file get to
 * FILE writes into FILE.partial, which an interrupted or failed get leaves
 * behind; the next get of the same CID to FILE rehashes the leaves the
 * partial holds against the DAG and fetches only the rest.
 */
export const get: Command = {
  name: 'get',
  usage: 'weft get CID|LINK|CAPABILITY [-o FILE|DIR/] [--offset N] [--length N] [--timings] [--bootstrap MULTIADDR|URL|DIR]... [--config FILE] [--quiet] [--<setting> VALUE]...',
  async run (args, io) {
    // ms since the process started: Node's own start-up and the modules this command loaded
    const phases: Phases = { loaded: performance.now() }
    const cli = parseCommandLine(args, io.env, {
      ...TRANSFER_FLAGS,
      output: { type: 'string', short: 'o' },
      offset: { type: 'string' },
      length: { type: 'string' },
      timings: { type: 'boolean' }
    }, true)
    if (cli.help) {
      io.stdout.write(`${get.usage}\n`)
      return 0
    }
    // a mistyped CID fails here, before any networking
    // a capability (weft:<cid>#k=..., or a link with ?k=) decrypts
    const { target, capability } = getTargetOf(onePositional(cli.positionals, 'CID', get.usage))
    const cid = parseCidString(target.cid)
    const offset = byteCount(cli.extra.offset, '--offset')
    const length = byteCount(cli.extra.length, '--length')
    const quiet = cli.extra.quiet === true
    const outPath = cli.extra.output === '-' || cli.extra.output == null ? undefined : await resolveOutputPath(String(cli.extra.output), target.name ?? cid.toString())
    const config = await loadCommandConfig(cli.sources, io, { localServer: true, ...(target.server != null ? { server: target.server } : {}) })
    requireBootstrap(config)

    // the output file is written under another name and renamed once whole,
    // so a failed get never leaves a truncated FILE; opened first so a bad
    // path fails before any networking. A partial left by an earlier get is
    // kept to resume from (a range is written from scratch: its bytes sit
    // at other offsets than the file's)
    const partial = outPath == null ? undefined : `${outPath}${PARTIAL_SUFFIX}`
    // an encrypted file's partial holds plaintext, which the ciphertext's leaves cannot check: it starts over
    const resumable = offset == null && length == null && capability == null
    let file: FileHandle | undefined
    /** Bytes of the partial file: what is on disk, kept if this get ends early. */
    let onDisk = 0
    if (partial != null) {
      const earlier = resumable ? await statFile(partial).catch(() => undefined) : undefined
      try {
        file = await open(partial, earlier?.isFile() === true ? 'r+' : 'w')
      } catch (err: any) {
        throw new Error(`cannot write ${JSON.stringify(partial)}: ${err?.code ?? err?.message}`, { cause: err })
      }
      onDisk = earlier?.isFile() === true ? earlier.size : 0
    }
    let complete = false
    let done = 0
    let resumedAt = 0
    let elapsed = 0
    let fetchedBlocks = 0
    try {
      const node = await createNode(config, { transient: true, joinsFirst: true })
      phases.created = performance.now()
      try {
        await joinNetwork(node, io.signal)
        phases.joined = performance.now()
        // one fetch session for the size, the layout and the bytes: the root comes once
        const content = node.open(capability ?? cid, { signal: io.signal })
        const stat = await content.stat({ signal: io.signal })
        if (file != null && onDisk > 0) {
          resumedAt = await verifiedPrefix(file, content.parts({ signal: io.signal }), Math.min(onDisk, stat.size))
          await file.truncate(resumedAt)
          onDisk = resumedAt
        }
        const start = Math.min(offset ?? resumedAt, stat.size)
        const total = Math.min(length ?? Infinity, stat.size - start)
        const started = performance.now()
        const bar = progressBar(io.stderr, { label: 'get', total, enabled: io.isTTY?.stderr === true && !quiet })
        try {
          if (total > 0) {
            const range = { ...(start > 0 ? { offset: start } : {}), ...(length != null ? { length } : {}) }
            for await (const chunk of content.read({ signal: io.signal, ...range })) {
              phases.firstByte ??= performance.now()
              if (file != null) await writeAll(file, chunk, onDisk)
              else await writeBytes(io.stdout, chunk, io.signal)
              onDisk += chunk.byteLength
              done += chunk.byteLength
              bar.update(done)
            }
          }
        } finally {
          bar.finish()
        }
        phases.transferred = performance.now()
        elapsed = phases.transferred - started
        fetchedBlocks = content.blocksFetched
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
        const resumed = resumedAt > 0 ? `, resumed after ${formatBytes(resumedAt)} already there and verified` : ''
        io.stderr.write(`fetched ${formatBytes(done)}${where}${resumed} (${formatCount(fetchedBlocks)} block${fetchedBlocks === 1 ? '' : 's'}, ${formatDuration(elapsed)}, ${formatRate(done, elapsed)})\n`)
      }
      if (cli.extra.timings === true) io.stderr.write(`${timingsLine(phases, performance.now())}\n`)
    } finally {
      await file?.close()
      if (!complete && partial != null) {
        // what was written is kept for the next run to resume from; an empty partial is no use
        if (onDisk === 0 || !resumable) await rm(partial, { force: true })
        else io.stderr.write(`weft: kept ${formatBytes(onDisk)} in ${partial}: the same command resumes from it\n`)
      }
    }
    return 0
  }
}

/** When each phase of a get ended, in ms since the process started. */
interface Phases {
  loaded: number
  created?: number
  joined?: number
  firstByte?: number
  transferred?: number
}

/**
 * `timings: load 412 ms, node 31 ms, join 204 ms, first byte 153 ms,
 * transfer 3201 ms (total 4001 ms, cpu 2950 ms, peak RSS 240.0 MiB)`: where a get's time
 * went, for `--timings`. load: from the process's start until the command
 * ran (Node, the CLI and the modules it loaded); node: making and starting
 * the transient node; join: until the DHT knew the servers it connected to;
 * first byte: the root's lookup and fetch, up to the first byte of the file;
 * transfer: the rest of the bytes.
 */
export function timingsLine (phases: Phases, now: number): string {
  const ms = (from: number | undefined, to: number | undefined): string => from == null || to == null ? '–' : `${Math.round(to - from)} ms`
  const { loaded, created, joined, firstByte, transferred } = phases
  return `timings: load ${Math.round(loaded)} ms, node ${ms(loaded, created)}, join ${ms(created, joined)}, ` +
    `first byte ${ms(joined, firstByte)}, transfer ${ms(firstByte, transferred)} ` +
    `(total ${Math.round(now)} ms, cpu ${Math.round(cpuMs())} ms, peak RSS ${formatBytes(peakRssBytes())})`
}

function cpuMs (): number {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}

/**
 * How many bytes at the start of `file` are the file's own: the leaves (and
 * inline data) that lie wholly within its first `size` bytes, in order, each
 * rehashed against its CID, up to the first that does not match (a run cut
 * short mid-leaf, bytes from another file). Leaves of another hash than
 * sha2-256 end the check: they are fetched again.
 */
export async function verifiedPrefix (file: FileHandle, parts: AsyncGenerator<FilePart>, size: number): Promise<number> {
  let verified = 0
  try {
    for await (const part of parts) {
      if (part.kind === 'node') continue
      const length = part.kind === 'data' ? part.bytes.byteLength : part.size
      if (part.offset !== verified || part.offset + length > size) break
      const bytes = new Uint8Array(length)
      const { bytesRead } = await file.read(bytes, 0, length, part.offset)
      if (bytesRead !== length || !await matches(part, bytes)) break
      verified += length
    }
  } finally {
    // no more of the DAG's nodes are wanted
    await parts.return(undefined)
  }
  return verified
}

async function matches (part: Exclude<FilePart, { kind: 'node' }>, bytes: Uint8Array): Promise<boolean> {
  if (part.kind === 'data') return equals(part.bytes, bytes)
  const { multihash } = part.cid
  if (multihash.code === IDENTITY_CODE) return equals(multihash.digest, bytes)
  if (multihash.code !== sha256.code) return false
  return equals((await sha256.digest(bytes)).digest, multihash.digest)
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

/** Writes all of `bytes` at `position`. */
async function writeAll (file: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let written = 0
  while (written < bytes.byteLength) {
    const { bytesWritten } = await file.write(bytes, written, bytes.byteLength - written, position + written)
    written += bytesWritten
  }
}
