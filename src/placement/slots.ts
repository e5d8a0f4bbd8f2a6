/** A counting semaphore whose waits end with the signal. */
export class Slots {
  private readonly waiting: Array<() => void> = []

  constructor (private free: number) {}

  async take (signal: AbortSignal): Promise<void> {
    signal.throwIfAborted()
    if (this.free > 0) {
      this.free--
      return
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.waiting.indexOf(go)
        if (i >= 0) this.waiting.splice(i, 1)
        reject(signal.reason)
      }
      const go = (): void => {
        signal.removeEventListener('abort', onAbort)
        resolve()
      }
      this.waiting.push(go)
      signal.addEventListener('abort', onAbort, { once: true })
    })
  }

  give (): void {
    const next = this.waiting.shift()
    if (next != null) next()
    else this.free++
  }
}
