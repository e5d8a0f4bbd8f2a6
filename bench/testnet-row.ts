// What the rows on a testnet (items 7 and 8) share: a testnet in a
// temporary directory of its own, whose failure becomes the row's error,
// torn down whatever happened.
import { mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { startTestnet, type Testnet } from '../src/testing/testnet.js'

/** A row's figure: failed until its body finishes, with the error that stopped it. */
export interface RowFigure {
  status: 'ok' | 'failed'
  error?: string
}

/**
 * Servers per process for a testnet of `servers`: one each up to 20;
 * beyond, ten to a process (fifty processes on two cores spend their time
 * starting and scheduling, not serving; 50 over 10 did not start in 220 s).
 */
export function processesFor (servers: number): number {
  return servers <= 20 ? servers : Math.ceil(servers / 10)
}

/** Starts `servers` servers, runs `body` on them and marks `figure` ok, or records why not; always stops the testnet. */
export async function onTestnet<F extends RowFigure> (figure: F, servers: number, tmpDir: string, body: (net: Testnet, readyMs: number) => Promise<void>): Promise<F> {
  const dir = await mkdtemp(join(tmpDir, 'weft-testnet-'))
  let net: Testnet | undefined
  try {
    const started = performance.now()
    net = await startTestnet({ servers, processes: processesFor(servers), dataDir: dir })
    await body(net, performance.now() - started)
    figure.status = 'ok'
  } catch (err: any) {
    figure.error = String(err.message ?? err)
  } finally {
    await net?.stop()
    await rm(dir, { recursive: true, force: true })
  }
  return figure
}
