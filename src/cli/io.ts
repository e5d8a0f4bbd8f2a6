/**
 * Where a command writes: `process.stdout`/`process.stderr` in the CLI, a
 * collector in tests. Text and bytes alike; `write` returning `false` means
 * the buffer is full and the writer should wait for `drain` (Node's Writable
 * contract), which `writeBytes` does when the stream has events.
 */
export interface Output {
  write: (chunk: string | Uint8Array) => boolean | void
  on?: (event: string, listener: (...args: any[]) => void) => unknown
  off?: (event: string, listener: (...args: any[]) => void) => unknown
}

/** What a command may touch, injected so commands run in tests without a terminal. */
export interface CommandIO {
  stdout: Output
  stderr: Output
  /** Read by `weft put -`; absent when the command has no input. */
  stdin?: AsyncIterable<Uint8Array>
  /** Which outputs are terminals: progress bars (stderr) and extra lines (stdout) only go there. */
  isTTY?: { stdout?: boolean, stderr?: boolean }
  env: Record<string, string | undefined>
  /** Aborted when the process is asked to stop (SIGINT/SIGTERM). */
  signal: AbortSignal
}

/** A `weft` command; its one-line summary for the help is in main.ts's list, which loads it only to run it. */
export interface Command {
  name: string
  usage: string
  run: (args: string[], io: CommandIO) => Promise<number>
}

/**
 * Writes bytes and, when the output's buffer is full, waits for it to drain,
 * so a fast source never piles up in memory behind a slow reader. Rejects if
 * the output fails or closes first, or `signal` aborts.
 */
export async function writeBytes (out: Output, bytes: Uint8Array, signal?: AbortSignal): Promise<void> {
  if (out.write(bytes) !== false || out.on == null || out.off == null) return
  const on = out.on.bind(out)
  const off = out.off.bind(out)
  await new Promise<void>((resolve, reject) => {
    const done = (err?: unknown): void => {
      off('drain', onDrain)
      off('error', onError)
      off('close', onClose)
      signal?.removeEventListener('abort', onAbort)
      if (err == null) resolve()
      else reject(err)
    }
    const onDrain = (): void => { done() }
    const onError = (err: unknown): void => { done(err ?? new Error('output failed')) }
    const onClose = (): void => { done(new Error('output closed before everything was written')) }
    const onAbort = (): void => { done(signal?.reason) }
    if (signal?.aborted === true) { onAbort(); return }
    on('drain', onDrain)
    on('error', onError)
    on('close', onClose)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
