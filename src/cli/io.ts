/** What a command may touch, injected so commands run in tests without a terminal. */
export interface CommandIO {
  stdout: { write: (text: string) => unknown }
  stderr: { write: (text: string) => unknown }
  env: Record<string, string | undefined>
  /** Aborted when the process is asked to stop (SIGINT/SIGTERM). */
  signal: AbortSignal
}

export interface Command {
  name: string
  summary: string
  usage: string
  run: (args: string[], io: CommandIO) => Promise<number>
}
