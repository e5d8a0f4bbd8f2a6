import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { after, describe, it } from 'node:test'
import { removeDir, runWeft, spawnServer, tempDir, type WeftProcess } from './support/weft-process.js'

const running: WeftProcess[] = []
after(async () => { await Promise.all(running.map(async p => p.stop())) })

async function started (options: Parameters<typeof spawnServer>[0] = {}): Promise<WeftProcess> {
  const server = await spawnServer(options)
  running.push(server)
  return server
}

describe('weft (the command line)', () => {
  it('prints the package version', async () => {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8'))
    const { code, stdout } = await runWeft(['--version'])
    assert.equal(code, 0)
    assert.equal(stdout.trim(), pkg.version)
  })

  it('lists its commands with --help', async () => {
    const { code, stdout } = await runWeft(['--help'])
    assert.equal(code, 0)
    assert.match(stdout, /start/)
    assert.match(stdout, /id/)
  })

  it('answers --version, --help and an unknown command without loading libp2p', async () => {
    const counter = fileURLToPath(new URL('../../test/support/count-modules.mjs', import.meta.url))
    for (const args of [['--version'], ['--help'], ['strat']]) {
      const { stderr } = await runWeft(args, { NODE_OPTIONS: `--import ${counter}` })
      assert.match(stderr, /libp2p modules loaded: 0\n/, `weft ${args.join(' ')}: ${stderr}`)
    }
    // and the counter does count: a command that runs a node loads the stack
    const { stderr } = await runWeft(['id', '--data', '/nonexistent-weft-dir'], { NODE_OPTIONS: `--import ${counter}` })
    assert.match(stderr, /libp2p modules loaded: [1-9]\d*\n/, stderr)
  })

  it('names an unknown command and exits 2', async () => {
    const { code, stderr } = await runWeft(['strat'])
    assert.equal(code, 2)
    assert.match(stderr, /unknown command "strat"/)
  })

  it('names an unknown flag and exits 2', async () => {
    const { code, stderr } = await runWeft(['start', '--lisen', '/ip4/127.0.0.1/tcp/0'])
    assert.equal(code, 2)
    assert.match(stderr, /--lisen/)
  })

  it('names a bad setting and its value and exits 2 without starting', async () => {
    const { code, stdout, stderr } = await runWeft(['start', '--data', await tempDir(), '--listen', '/ip4/999.0.0.1/tcp/0'])
    assert.equal(code, 2)
    assert.equal(stdout, '')
    assert.match(stderr, /ConfigError: setting "listen" "\/ip4\/999\.0\.0\.1\/tcp\/0" is not a valid multiaddr/)
  })

  it('names a bad environment variable', async () => {
    const { code, stderr } = await runWeft(['start', '--data', await tempDir()], { WEFT_CONNECTIONS_MAX_CONNECTIONS: '-5' })
    assert.equal(code, 2)
    assert.match(stderr, /connections\.maxConnections.*WEFT_CONNECTIONS_MAX_CONNECTIONS/)
  })

  it('start prints its listening multiaddrs with /p2p/<id>, then ready', async () => {
    const server = await started({ browserTransports: true })
    assert.equal(server.multiaddrs.length, 3)
    for (const ma of server.multiaddrs) {
      assert.match(ma, new RegExp(`/p2p/${server.peerId}$`))
    }
    assert.ok(server.multiaddrs.some(ma => ma.includes('/tcp/') && !ma.includes('/ws')))
    assert.ok(server.multiaddrs.some(ma => ma.includes('/ws/')))
    assert.ok(server.multiaddrs.some(ma => ma.includes('/webrtc-direct/certhash/')))
  })

  it('start shuts down cleanly on SIGINT and on SIGTERM with exit code 0', async () => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const server = await spawnServer()
      const exited = new Promise(resolve => server.process.on('exit', resolve))
      server.process.kill(signal)
      assert.equal(await exited, 0, `exit code after ${signal}`)
    }
  })

  it('keeps the PeerId and the WebRTC-direct certificate across restarts on one data dir', async () => {
    const dataDir = await tempDir()
    const first = await spawnServer({ dataDir, browserTransports: true })
    await first.stop()
    const second = await spawnServer({ dataDir, browserTransports: true })
    await second.stop()
    assert.equal(second.peerId, first.peerId)
    const certhash = (addrs: string[]): string | undefined => addrs.find(a => a.includes('certhash'))?.split('/certhash/')[1].split('/')[0]
    assert.ok(certhash(first.multiaddrs) != null)
    assert.equal(certhash(second.multiaddrs), certhash(first.multiaddrs))
    await removeDir(dataDir)
  })

  it('id prints the PeerId stored in a data dir, also while a node runs on it', async () => {
    const server = await started()
    const whileRunning = await runWeft(['id', '--data', server.dataDir])
    assert.equal(whileRunning.code, 0, whileRunning.stderr)
    assert.equal(whileRunning.stdout.trim(), server.peerId)
    await server.stop()
    const afterStop = await runWeft(['id', '--data', server.dataDir])
    assert.equal(afterStop.code, 0, afterStop.stderr)
    assert.equal(afterStop.stdout.trim(), server.peerId)
  })

  it('id says so when no node has used the data dir', async () => {
    const empty = await tempDir()
    const { code, stdout, stderr } = await runWeft(['id', '--data', empty])
    assert.notEqual(code, 0)
    assert.equal(stdout, '')
    assert.match(stderr, /no weft node has run in/)
  })

  it('refuses a second node on a data dir in use, naming the lock', async () => {
    const server = await started()
    const { code, stderr } = await runWeft(['start', '--data', server.dataDir, '--listen', '/ip4/127.0.0.1/tcp/0', '--http.enabled', 'false'])
    assert.equal(code, 1)
    assert.match(stderr, /StorageOpenError: .*locked/)
  })
})
