import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { ConfigError, defaultsFor, resolveConfig } from '../src/index.js'
import { loadConfig } from '../src/config/load.js'
import { envNameFor, flagNameFor } from '../src/config/schema.js'
import { tempDir } from './support/weft-process.js'
import { DEFAULT_AUDIT_BYTES_PER_HOUR, DEFAULT_AUDIT_DEADLINE_MS, DEFAULT_AUDITS_PER_HOUR, DEFAULT_CHUNK_SIZE, DEFAULT_DHT_PROTOCOL, DEFAULT_FETCH_TIMEOUT_MS, DEFAULT_REPAIR_BYTES_PER_SECOND, DEFAULT_REPAIR_INTERVAL_MS, DEFAULT_REPLICATION, DEFAULT_WRITE_QUORUM, DEFAULT_PEER_SERVE_BYTES_PER_SECOND, DEFAULT_PEER_STORE_BYTES, DEFAULT_PEER_STORE_BYTES_PER_HOUR, DEFAULT_PEER_STREAMS, DEFAULT_RESPONSIBILITY_SLACK } from '../src/services/storage-defaults.js'

const PEER = '/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWNMJtL2xNkDuKTnM4jHMDqLZjnBik4L5o719wGJNiAdAQ'

function flags (entries: Record<string, string[]>): Map<string, { flag: string, values: string[] }> {
  return new Map(Object.entries(entries).map(([key, values]) => [key, { flag: `--${flagNameFor(key)}`, values }]))
}

async function configFile (content: string): Promise<string> {
  const file = join(await tempDir(), 'weft.json')
  await writeFile(file, content)
  return file
}

function assertConfigError (key: string, value: unknown, source?: string): (err: unknown) => true {
  return (err) => {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`)
    assert.equal(err.name, 'ConfigError')
    assert.equal(err.key, key)
    assert.deepEqual(err.value, value)
    if (source != null) assert.equal(err.source, source)
    assert.match(err.message, new RegExp(key.replace('.', '\\.')))
    return true
  }
}

describe('config', () => {
  it('ships valid defaults for both roles', () => {
    assert.equal(defaultsFor('server').role, 'server')
    assert.equal(defaultsFor('browser').role, 'browser')
    assert.equal(defaultsFor('server').dht.protocol, '/weft/kad/1.0.0')
    assert.deepEqual(defaultsFor('browser').listen, ['/p2p-circuit', '/webrtc'])
  })

  it('fills what the options leave out from the role defaults', () => {
    const config = resolveConfig({ relay: { maxReservations: 7 } }, 'server')
    assert.equal(config.relay.maxReservations, 7)
    assert.equal(config.relay.reservationTtlMs, defaultsFor('server').relay.reservationTtlMs)
  })

  it('rejects an unknown setting by name', () => {
    assert.throws(() => resolveConfig({ listne: [] } as any, 'server'), assertConfigError('listne', []))
    assert.throws(() => resolveConfig({ relay: { maxReservation: 1 } } as any, 'server'), assertConfigError('relay.maxReservation', 1))
  })

  it('rejects a malformed multiaddr naming the key and the value', () => {
    assert.throws(() => resolveConfig({ listen: ['/ip4/1.2.3/tcp/1'] }, 'server'), assertConfigError('listen', ['/ip4/1.2.3/tcp/1']))
  })

  it('rejects a bootstrap address without a peer id', () => {
    assert.throws(() => resolveConfig({ bootstrap: ['/ip4/127.0.0.1/tcp/4001'] }, 'server'), assertConfigError('bootstrap', ['/ip4/127.0.0.1/tcp/4001']))
  })

  it('rejects a negative number', () => {
    assert.throws(() => resolveConfig({ relay: { maxReservations: -1 } }, 'server'), assertConfigError('relay.maxReservations', -1))
  })

  it('rejects a write quorum larger than the replication', () => {
    assert.throws(() => resolveConfig({ storage: { replication: 2, writeQuorum: 3 } }, 'server'), assertConfigError('storage.writeQuorum', 3))
  })

  it('takes a repair interval of 0 (off) or at least a second, and rejects one in between', () => {
    assert.equal(resolveConfig({ storage: { repairIntervalMs: 0 } }, 'server').storage.repairIntervalMs, 0)
    assert.equal(resolveConfig({ storage: { repairIntervalMs: 1000 } }, 'server').storage.repairIntervalMs, 1000)
    assert.equal(resolveConfig({}, 'server').storage.repairIntervalMs, 600_000)
    assert.throws(() => resolveConfig({ storage: { repairIntervalMs: 10 } }, 'server'), assertConfigError('storage.repairIntervalMs', 10))
  })

  it('takes 0 to 3600 audits an hour and a positive audit deadline, and rejects others', () => {
    assert.equal(resolveConfig({ storage: { auditsPerHour: 0 } }, 'server').storage.auditsPerHour, 0)
    assert.throws(() => resolveConfig({ storage: { auditsPerHour: 3601 } }, 'server'), assertConfigError('storage.auditsPerHour', 3601))
    assert.throws(() => resolveConfig({ storage: { auditDeadlineMs: 0 } }, 'server'), assertConfigError('storage.auditDeadlineMs', 0))
    assert.throws(() => resolveConfig({ storage: { auditBytesPerHour: -1 } }, 'server'), assertConfigError('storage.auditBytesPerHour', -1))
  })

  it('rejects a chunk size above the 1 MiB block limit', () => {
    assert.throws(() => resolveConfig({ storage: { chunkSize: 2_097_152 } }, 'server'), assertConfigError('storage.chunkSize', 2_097_152))
  })

  it('rejects a value of the wrong type', () => {
    assert.throws(() => resolveConfig({ http: { port: '80' } } as any, 'server'), assertConfigError('http.port', '80'))
    assert.throws(() => resolveConfig({ role: 'farmer' } as any, 'server'), assertConfigError('role', 'farmer'))
  })

  it('layers file, then environment, then flags', async () => {
    const file = await configFile(JSON.stringify({ relay: { maxReservations: 1, reservationTtlMs: 5000 }, bootstrap: [PEER] }))
    const config = await loadConfig({
      file,
      env: { WEFT_RELAY_MAX_RESERVATIONS: '2', WEFT_HTTP_PORT: '9000', PATH: '/bin' },
      flags: flags({ 'relay.maxReservations': ['3'] })
    })
    assert.equal(config.relay.maxReservations, 3)
    assert.equal(config.relay.reservationTtlMs, 5000)
    assert.equal(config.http.port, 9000)
    assert.deepEqual(config.bootstrap, [PEER])
  })

  it('takes repeated list flags as one list, replacing the defaults', async () => {
    const config = await loadConfig({ flags: flags({ listen: ['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/0/ws'] }) })
    assert.deepEqual(config.listen, ['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/0/ws'])
  })

  it('reads comma-separated lists and booleans from the environment', async () => {
    const config = await loadConfig({ env: { WEFT_LISTEN: '/ip4/127.0.0.1/tcp/1, /ip4/127.0.0.1/tcp/2/ws', WEFT_HTTP_ENABLED: 'false' } })
    assert.deepEqual(config.listen, ['/ip4/127.0.0.1/tcp/1', '/ip4/127.0.0.1/tcp/2/ws'])
    assert.equal(config.http.enabled, false)
  })

  it('names the environment variable a bad value came from', async () => {
    await assert.rejects(loadConfig({ env: { WEFT_HTTP_PORT: '99999' } }), assertConfigError('http.port', 99999, 'env WEFT_HTTP_PORT'))
    await assert.rejects(loadConfig({ env: { WEFT_HTTP_PORT: 'eighty' } }), assertConfigError('http.port', 'eighty', 'env WEFT_HTTP_PORT'))
  })

  it('warns about an unknown WEFT_ environment variable, naming the nearest setting, and starts anyway', async () => {
    const warnings: string[] = []
    const config = await loadConfig({ env: { WEFT_DATADIR: '/tmp/x' }, warn: w => { warnings.push(w) } })
    assert.equal(config.dataDir, '.weft')
    assert.equal(warnings.length, 1)
    assert.match(warnings[0], /WEFT_DATADIR.*did you mean WEFT_DATA_DIR \(dataDir\)\?/)
  })

  it('leaves WEFT_CONFIG and the test harness\'s WEFT_TEST_ variables alone', async () => {
    const config = await loadConfig({ env: { WEFT_CONFIG: '/elsewhere.json', WEFT_TEST_HOST: '127.0.0.1' } })
    assert.equal(config.role, 'server')
  })

  it('names the flag a bad value came from', async () => {
    await assert.rejects(loadConfig({ flags: flags({ 'connections.dialTimeoutMs': ['soon'] }) }), assertConfigError('connections.dialTimeoutMs', 'soon', 'flag --connections.dial-timeout-ms'))
  })

  it('names the file a bad value came from', async () => {
    const file = await configFile(JSON.stringify({ webrtc: { iceServers: ['http://stun.example'] } }))
    await assert.rejects(loadConfig({ file }), assertConfigError('webrtc.iceServers', ['http://stun.example'], `file ${file}`))
  })

  it('rejects a config file that is not JSON', async () => {
    const file = await configFile('{ "listen": [ ')
    await assert.rejects(loadConfig({ file }), (err: any) => err.name === 'ConfigError' && err.value === file && /not valid JSON/.test(err.message))
  })

  it('rejects a config file that is missing', async () => {
    await assert.rejects(loadConfig({ file: '/nonexistent/weft.json' }), (err: any) => err.name === 'ConfigError' && err.value === '/nonexistent/weft.json' && /ENOENT/.test(err.message))
  })

  it('derives environment and flag names from setting keys', () => {
    assert.equal(envNameFor('relay.maxReservations'), 'WEFT_RELAY_MAX_RESERVATIONS')
    assert.equal(envNameFor('dataDir'), 'WEFT_DATA_DIR')
    assert.equal(flagNameFor('connections.dialTimeoutMs'), 'connections.dial-timeout-ms')
  })
})

describe('shipped defaults', () => {
  it('give nodes the same storage settings weftStorage() uses without a config', () => {
    for (const role of ['server', 'browser'] as const) {
      const { storage, dht } = defaultsFor(role)
      assert.deepEqual(
        { chunkSize: storage.chunkSize, replication: storage.replication, writeQuorum: storage.writeQuorum, fetchTimeoutMs: storage.fetchTimeoutMs, protocol: dht.protocol },
        { chunkSize: DEFAULT_CHUNK_SIZE, replication: DEFAULT_REPLICATION, writeQuorum: DEFAULT_WRITE_QUORUM, fetchTimeoutMs: DEFAULT_FETCH_TIMEOUT_MS, protocol: DEFAULT_DHT_PROTOCOL },
        role)
    }
    assert.equal(defaultsFor('server').storage.repairIntervalMs, DEFAULT_REPAIR_INTERVAL_MS)
    assert.equal(defaultsFor('server').storage.repairBytesPerSecond, DEFAULT_REPAIR_BYTES_PER_SECOND)
    const { auditsPerHour, auditDeadlineMs, auditBytesPerHour } = defaultsFor('server').storage
    assert.deepEqual({ auditsPerHour, auditDeadlineMs, auditBytesPerHour }, { auditsPerHour: DEFAULT_AUDITS_PER_HOUR, auditDeadlineMs: DEFAULT_AUDIT_DEADLINE_MS, auditBytesPerHour: DEFAULT_AUDIT_BYTES_PER_HOUR })
    for (const role of ['server', 'browser'] as const) {
      const { storage } = defaultsFor(role)
      assert.deepEqual(
        [storage.responsibilitySlack, storage.peerStoreBytesPerHour, storage.peerStoreBytes, storage.peerStreams, storage.peerServeBytesPerSecond],
        [DEFAULT_RESPONSIBILITY_SLACK, DEFAULT_PEER_STORE_BYTES_PER_HOUR, DEFAULT_PEER_STORE_BYTES, DEFAULT_PEER_STREAMS, DEFAULT_PEER_SERVE_BYTES_PER_SECOND],
        role)
    }
  })
})
