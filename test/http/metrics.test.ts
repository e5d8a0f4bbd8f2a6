import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { parsePrometheusText, sampleSum, type PromText } from '../support/prometheus-text.js'
import { removeDir, runWeft, spawnNetwork, spawnServer, tempDir, type WeftProcess } from '../support/weft-process.js'

const MiB = 1_048_576

async function scrape (server: WeftProcess): Promise<{ response: Response, text: PromText }> {
  const response = await fetch(new URL('/metrics', server.httpUrl))
  assert.equal(response.status, 200, `GET /metrics of ${server.peerId}`)
  return { response, text: parsePrometheusText(await response.text()) }
}

async function total (servers: WeftProcess[], name: string): Promise<number> {
  let sum = 0
  for (const server of servers) sum += sampleSum((await scrape(server)).text, name)
  return sum
}

describe('GET /metrics (Prometheus text of a weft start server)', () => {
  let servers: WeftProcess[]
  let stopNetwork: () => Promise<void>
  let dir: string

  before(async () => {
    const network = await spawnNetwork(3, { http: true })
    servers = network.servers
    stopNetwork = network.stop
    dir = await tempDir('weft-metrics-')
  })
  after(async () => {
    await stopNetwork?.()
    await removeDir(dir)
  })

  it('serves Prometheus text with the stack\'s series and weft\'s, typed', async () => {
    const { response, text } = await scrape(servers[0])
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
    assert.equal(sampleSum(text, 'weft_info', { peer_id: servers[0].peerId, role: 'server' }), 1)
    assert.equal(text.types.get('weft_blocks_stored_total'), 'counter')
    assert.equal(text.types.get('weft_stored_bytes'), 'gauge')
    assert.ok(sampleSum(text, 'weft_routing_table_peers') >= 2, 'the routing table holds the other two servers')
    // from @libp2p/prometheus-metrics: the stack's own series and the process's
    assert.ok(text.types.has('libp2p_data_transfer_bytes_total'), 'libp2p\'s transfer counter')
    assert.ok([...text.types.keys()].some(name => name.startsWith('libp2p_connection_manager') || name.startsWith('libp2p_dialler') || name.startsWith('libp2p_kad_dht')), 'libp2p component metrics')
    assert.ok(text.types.has('process_cpu_user_seconds_total'), 'the process\'s default metrics')
  })

  it('weft_ counters move when a file is put and got, and agree with the status', async () => {
    const storedBefore = await total(servers, 'weft_stored_bytes_total')
    const servedBefore = await total(servers, 'weft_served_bytes_total')
    const content = randomBytes(3 * MiB + 17)
    const file = join(dir, 'file.bin')
    await writeFile(file, content)
    const put = await runWeft(['put', file, '-q', '--bootstrap', servers[1].multiaddrs[0]])
    assert.equal(put.code, 0, put.stderr)
    const cid = put.stdout.trim()
    const get = await runWeft(['get', cid, '-o', join(dir, 'got.bin'), '--bootstrap', servers[2].multiaddrs[0]])
    assert.equal(get.code, 0, get.stderr)

    // every block went to all three servers (replication 5 > 3 servers)
    assert.ok(await total(servers, 'weft_stored_bytes_total') - storedBefore >= 3 * content.byteLength, 'block bytes stored for the put')
    assert.ok(await total(servers, 'weft_served_bytes_total') - servedBefore >= content.byteLength, 'block bytes served for the get')
    const status = await (await fetch(new URL('/weft/status.json', servers[0].httpUrl))).json() as { storage: { usedBytes: number, blocks: number } }
    const { text } = await scrape(servers[0])
    assert.equal(sampleSum(text, 'weft_stored_bytes'), status.storage.usedBytes)
    assert.equal(sampleSum(text, 'weft_blocks'), status.storage.blocks)
  })

  it('answers 404 naming http.metrics when metrics are off', async () => {
    const server = await spawnServer({ http: true, args: ['--http.metrics', 'false'] })
    try {
      const response = await fetch(new URL('/metrics', server.httpUrl))
      assert.equal(response.status, 404)
      assert.match(await response.text(), /http\.metrics/)
    } finally {
      await server.stop()
    }
  })
})
