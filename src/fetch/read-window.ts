// The read window: how a reader's block fetches are scheduled ahead of it.

/**
 * Runs at most `window` tasks at once and yields their results in order.
 * Not it-parallel: with `ordered: true` it starts new tasks whenever any task
 * finishes, so blocks that arrive out of order let it run far past its limit
 * (240 fetches in flight were seen with a limit of 16, and seeders refused
 * the streams).
 *
 * It starts with one task and doubles the limit each time a result is
 * handed over, up to `window` (a slow start): tasks started together share
 * the connection, so a full window at once would hold the first bytes back
 * until most of the window had arrived (a page saw its first byte of a
 * 16 MiB file after 1.1 s and the rest 0.1 s later).
 */
export async function * windowed<T> (tasks: AsyncIterable<() => Promise<T>>, window: number): AsyncGenerator<T> {
  const running: Array<Promise<T>> = []
  const iterator = tasks[Symbol.asyncIterator]()
  let done = false
  let limit = 1
  const fill = async (): Promise<void> => {
    while (!done && running.length < limit) {
      const next = await iterator.next()
      if (next.done === true) { done = true; return }
      const task = next.value()
      task.catch(() => {})
      running.push(task)
    }
  }
  try {
    await fill()
    while (running.length > 0) {
      const value = await (running.shift() as Promise<T>)
      limit = Math.min(window, limit * 2)
      await fill()
      yield value
    }
  } finally {
    await iterator.return?.()
  }
}
