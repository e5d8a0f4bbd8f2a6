import { readdirSync, readFileSync } from 'node:fs'

/** The state letter and parent pid of a process, from /proc (Linux); undefined once it is gone. */
function stat (pid: number): { state: string, ppid: number } | undefined {
  try {
    // the command name in parentheses may contain spaces: fields start after its last ')'
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop()?.split(' ') ?? []
    return { state: fields[0], ppid: Number(fields[1]) }
  } catch {
    return undefined
  }
}

/** Whether `pid` is a running process (a zombie, dead but not yet reaped, is not). */
export function isRunning (pid: number): boolean {
  const s = stat(pid)
  return s != null && s.state !== 'Z' && s.state !== 'X'
}

/** The pids of the running processes whose parent is `pid`. */
export function childPids (pid: number): number[] {
  return readdirSync('/proc')
    .filter(name => /^\d+$/.test(name))
    .map(Number)
    .filter(child => stat(child)?.ppid === pid && isRunning(child))
}
