// Raw TCP peer, the physical limit of this machine: `seed` writes the file to
// every connection and closes it; `fetch` reads one connection to the end.
// Swarming has no meaning here: it fetches from the first seeder only.
import { readFile } from 'node:fs/promises'
import { connect, createServer, type AddressInfo } from 'node:net'
import { Verifier, report, runMain, task, untilReleased } from './peer-io.js'
import type { FetchTask, SeedTask } from './transfer.js'

async function seed ({ file }: SeedTask): Promise<void> {
  // held in memory so the seeder's disk is not what is measured
  const bytes = await readFile(file)
  const server = createServer(socket => { socket.end(bytes) })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  report({ ready: true, addr: `127.0.0.1:${(server.address() as AddressInfo).port}` })
  await untilReleased()
  server.close()
}

async function fetch ({ seeders, size, sha256 }: FetchTask): Promise<void> {
  const verifier = new Verifier({ size, sha256 })
  const [host, port] = String(seeders[0].addr).split(':')
  const socket = connect(Number(port), host)
  for await (const chunk of socket) verifier.update(chunk)
  report(verifier.finish())
}

runMain(async () => {
  const t = task<SeedTask | FetchTask>()
  await (t.role === 'seed' ? seed(t) : fetch(t))
})
