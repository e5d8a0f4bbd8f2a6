import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createSocket } from 'node:dgram'
import { existsSync } from 'node:fs'
import { readFile, readdir, writeFile } from 'node:fs/promises'
import { createServer, type AddressInfo, type Server } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { LISTENING_FILE } from '../src/cli/find-server.js'
import { runWeft, runWeftPiped, spawnNetwork, spawnServer, tempDir, TEST_HOST, WEFT_BIN, type WeftProcess } from './support/weft-process.js'

/** A TCP port something already listens on. */
async function takenPort (): Promise<{ port: number, server: Server }> {
  const server = createServer(socket => socket.destroy())
  await new Promise<void>(resolve => server.listen(0, TEST_HOST, resolve))
  return { port: (server.address() as AddressInfo).port, server }
}

/** Resolves with the process's stderr once it matches `pattern` (or rejects when it exits first). */
async function stderrMatching (proc: WeftProcess, pattern: RegExp): Promise<string> {
  if (pattern.test(proc.stderr())) return proc.stderr()
  return new Promise((resolve, reject) => {
    const onData = (): void => {
      if (!pattern.test(proc.stderr())) return
      proc.process.stderr?.off('data', onData)
      resolve(proc.stderr())
    }
    // spawnServer's own listener appends first: it was added before this one
    proc.process.stderr?.on('data', onData)
    proc.process.once('exit', () => { reject(new Error(`exited without ${pattern}: ${proc.stderr()}`)) })
  })
}

describe('weft on a Node.js that is too old', () => {
  const system = '/usr/bin/node'
  const version = existsSync(system) ? execFileSync(system, ['--version']).toString().trim() : undefined
  const old = version != null && Number(/^v(\d+)/.exec(version)?.[1]) < 24
  it('says which version it needs and how to run the pinned one, before loading anything', { skip: old ? false : `${system} is ${version ?? 'absent'}` }, async () => {
    const child = spawn(system, [WEFT_BIN, 'put', '/etc/hostname', '--bootstrap', 'http://127.0.0.1:9'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const code = await new Promise(resolve => child.on('exit', resolve))
    assert.equal(code, 1)
    assert.match(stderr, new RegExp(`^weft: needs Node\\.js 24 or newer, but ${system} is ${version!.replace(/\./g, '\\.')}\\..*"npx weft \\.\\.\\."`))
    assert.doesNotMatch(stderr, /withResolvers/)
  })
})

describe('weft put and get find servers (URLs, data directories, links)', () => {
  let servers: WeftProcess[]
  let stopNetwork: () => Promise<void>
  let dir: string
  let content: Buffer
  let cid: string

  before(async () => {
    const network = await spawnNetwork(3)
    servers = network.servers
    stopNetwork = network.stop
    dir = await tempDir('weft-cli-ux-')
    content = randomBytes(70_000)
    await writeFile(join(dir, 'in.bin'), content)
  })
  after(async () => { await stopNetwork?.() })

  it('put --bootstrap http://HOST:PORT joins the server at that URL (its /weft/bootstrap.json)', async () => {
    const stored = await runWeft(['put', join(dir, 'in.bin'), '--bootstrap', servers[0].httpUrl!])
    assert.equal(stored.code, 0, stored.stderr)
    cid = stored.stdout.trim()
    assert.match(cid, /^baf/)
  })

  it('get of the page\'s share link needs no --bootstrap, and -o DIR/ writes the link\'s name inside DIR', async () => {
    const out = await tempDir()
    const link = new URL(`#/${cid}/holiday%20clip.bin`, servers[0].httpUrl!).href
    const fetched = await runWeft(['get', link, '-o', `${out}/`, '-q'])
    assert.equal(fetched.code, 0, fetched.stderr)
    assert.deepEqual(await readdir(out), ['holiday clip.bin'])
    assert.ok((await readFile(join(out, 'holiday clip.bin'))).equals(content))
  })

  it('a running server\'s data directory: put --data DIR with no bootstrap, get /ipfs/CID --bootstrap DIR', async () => {
    assert.ok(existsSync(join(servers[1].dataDir, LISTENING_FILE)), 'weft start writes its listening file')
    const stored = await runWeft(['put', join(dir, 'in.bin'), '--data', servers[1].dataDir, '-q'])
    assert.equal(stored.code, 0, stored.stderr)
    assert.equal(stored.stdout.trim(), cid)
    const fetched = await runWeftPiped(['get', `/ipfs/${cid}`, '--bootstrap', servers[2].dataDir, '-q'])
    assert.equal(fetched.code, 0, fetched.stderr)
    assert.ok(fetched.stdout.equals(content))
  })

  it('get ipfs://CID -o DIR (an existing directory) writes the file under its CID; camelCase flags work too', async () => {
    const out = await tempDir()
    const fetched = await runWeft(['get', `ipfs://${cid}`, '-o', out, '--bootstrap', servers[0].multiaddrs[0], '--storage.fetchTimeoutMs', '20000', '-q'])
    assert.equal(fetched.code, 0, fetched.stderr)
    assert.deepEqual(await readdir(out), [cid])
  })

  it('weft stat of a share link gives the file\'s type and size from the network (one block: raw)', async () => {
    const link = new URL(`#/${cid}/clip.bin`, servers[0].httpUrl!).href
    const human = await runWeft(['stat', link])
    assert.equal(human.code, 0, human.stderr)
    assert.match(human.stdout, new RegExp(`^cid +${cid}\ntype +raw\nsize +68\.4 KiB \\(70000 bytes\\)\nlinks +0\n$`))
    const json = await runWeft(['stat', cid, '--json', '--bootstrap', servers[1].multiaddrs[0]])
    assert.equal(json.code, 0, json.stderr)
    assert.deepEqual(JSON.parse(json.stdout), { cid, type: 'raw', size: 70_000, links: 0 })
  })

  it('weft pin, unpin and gc act on the server running on --data DIR, through its control socket', async () => {
    const data = servers[2].dataDir
    const pinned = await runWeft(['pin', `ipfs://${cid}`, '--data', data])
    assert.equal(pinned.code, 0, pinned.stderr)
    assert.match(pinned.stdout, new RegExp(`^pinned ${cid}; storage .*, 1 pin\n$`))
    const unpinned = await runWeft(['unpin', cid, '--data', data])
    assert.equal(unpinned.code, 0, unpinned.stderr)
    assert.match(unpinned.stdout, /, 0 pins\n$/)
    const collected = await runWeft(['gc', '--data', data])
    assert.equal(collected.code, 0, collected.stderr)
    assert.match(collected.stdout, /^freed \d+(\.\d)? [KMG]?i?B; storage /)
    const nobody = await runWeft(['pin', cid, '--data', await tempDir()])
    assert.equal(nobody.code, 1)
    assert.match(nobody.stderr, /no server is running on .*weft start --data/)
  })

  it('a stopped server\'s data directory is named as having no server running', async () => {
    const gone = await tempDir()
    await writeFile(join(gone, 'peer-id'), `${servers[0].peerId}\n`)
    const stored = await runWeft(['put', join(dir, 'in.bin'), '--bootstrap', gone])
    assert.equal(stored.code, 2, stored.stderr)
    assert.match(stored.stderr, /no server is running on .*weft start --data/)
  })
})

describe('weft says what is wrong, in one line', () => {
  const someId = '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN'

  it('-o into a directory that does not exist fails before any networking, exit 2', async () => {
    const started = Date.now()
    const { code, stderr } = await runWeft(['get', 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku', '-o', '/nonexistent-weft-dir/out.bin', '--bootstrap', `/ip4/${TEST_HOST}/tcp/9/p2p/${someId}`])
    assert.equal(code, 2, stderr)
    assert.match(stderr, /^weft: UsageError: -o \/nonexistent-weft-dir\/out\.bin: no such directory/)
    assert.ok(Date.now() - started < 10_000)
  })

  it('a bad PeerId in --bootstrap is a usage error naming it, for put and for start', async () => {
    for (const args of [['put', '/etc/hostname'], ['start', '--data', await tempDir()]]) {
      const { code, stderr } = await runWeft([...args, '--bootstrap', `/ip4/${TEST_HOST}/tcp/1/p2p/12D3KooWAbc`])
      assert.equal(code, 2, stderr)
      assert.match(stderr, /^weft: ConfigError: setting "bootstrap" .*"12D3KooWAbc" is not a PeerId/)
      assert.doesNotMatch(stderr, /Incorrect length|multibase decoder/)
    }
  })

  it('a taken TCP port names the address and the setting, no stack trace, and leaves no data directory', async () => {
    const { port, server } = await takenPort()
    try {
      const data = join(await tempDir(), 'new-node')
      const { code, stderr } = await runWeft(['start', '--data', data, '--listen', `/ip4/${TEST_HOST}/tcp/${port}`, '--http.enabled', 'false'])
      assert.equal(code, 1)
      assert.equal(stderr.split('\n').length, 2, stderr)
      assert.match(stderr, new RegExp(`^weft: ListenError: cannot listen on /ip4/${TEST_HOST.replace(/\./g, '\\.')}/tcp/${port} \\(the port is taken.*change "listen"`))
      assert.doesNotMatch(stderr, /faultTolerance|\n\s+at /)
      assert.equal(existsSync(data), false, 'the failed start removed the directory it made')
    } finally {
      server.close()
    }
  })

  it('a taken WebRTC-direct UDP port names the address and the setting, no stack trace', async () => {
    const socket = createSocket('udp4')
    await new Promise<void>(resolve => socket.bind(0, TEST_HOST, resolve))
    try {
      const address = `/ip4/${TEST_HOST}/udp/${socket.address().port}/webrtc-direct`
      const { code, stderr } = await runWeft(['start', '--data', await tempDir(), '--listen', `/ip4/${TEST_HOST}/tcp/0`, '--listen', address, '--http.enabled', 'false'])
      assert.equal(code, 1)
      assert.equal(stderr.split('\n').length, 2, stderr)
      assert.equal(stderr, `weft: ListenError: cannot listen on ${address} (the UDP port is taken, by another weft start perhaps): change "listen" (--listen MULTIADDR; port 0 picks a free one)\n`)
    } finally {
      socket.close()
    }
  })

  it('a taken HTTP port names http.port and how to change it, and leaves the data directory as it was', async () => {
    const { port, server } = await takenPort()
    try {
      const data = await tempDir()
      const { code, stderr } = await runWeft(['start', '--data', data, '--listen', `/ip4/${TEST_HOST}/tcp/0`, '--http.host', TEST_HOST, '--http.port', String(port)])
      assert.equal(code, 1)
      assert.match(stderr, new RegExp(`^weft: ListenError: cannot serve HTTP on ${TEST_HOST.replace(/\./g, '\\.')}:${port}: .*change "http\\.port" \\(--http\\.port N.*\\n$`))
      assert.deepEqual(await readdir(data), [], 'nothing left of the failed start')
    } finally {
      server.close()
    }
  })

  it('an unknown WEFT_ variable is a warning naming the nearest setting; the server starts', async () => {
    const server = await spawnServer({ env: { WEFT_BOOSTRAP: 'x' } })
    try {
      assert.match(server.stderr(), /weft: warning: ignoring environment variable WEFT_BOOSTRAP: .*did you mean WEFT_BOOTSTRAP \(bootstrap\)\?/)
    } finally {
      await server.stop()
    }
  })

  it('a mistyped command or flag gets the nearest name', async () => {
    assert.match((await runWeft(['gte'])).stderr, /unknown command "gte" \(did you mean "weft get"\?\)/)
    const flag = await runWeft(['put', '--quite', '/etc/hostname'])
    assert.equal(flag.code, 2)
    assert.match(flag.stderr, /'--quite' \(did you mean --quiet\?\)/)
  })

  it('a server none of whose bootstrap peers answers warns, and weft status shows it', async () => {
    const closed = await takenPort()
    closed.server.close()
    const lonely = `/ip4/${TEST_HOST}/tcp/${closed.port}/p2p/${someId}`
    const server = await spawnServer({ http: true, bootstrap: [lonely], args: ['--connections.dial-timeout-ms', '300'] })
    try {
      const stderr = await stderrMatching(server, /warning: none of the 1 bootstrap peer answered/)
      assert.match(stderr, /this server is alone until one does\. Dialling them again with backoff/)
      // found from the data directory: the server listens on http.port 0
      const status = await runWeft(['status', '--data', server.dataDir])
      assert.equal(status.code, 0, status.stderr)
      assert.match(status.stdout, new RegExp(`^bootstrap +none of 1 peer connected \\(dialling again with backoff\\): ${lonely}$`, 'm'))
    } finally {
      await server.stop()
    }
    assert.equal(existsSync(join(server.dataDir, LISTENING_FILE)), false, 'a stopped server removes its listening file')
  })
})
