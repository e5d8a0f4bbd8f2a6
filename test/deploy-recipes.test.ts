import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { after, describe, it } from 'node:test'
import { parse } from 'yaml'
import { parseCommandLine } from '../src/cli/args.js'
import { loadConfig } from '../src/config/load.js'
import { statusWhen } from './support/status.js'
import { removeDir, runWeft, spawnServer, tempDir, WEFT_BIN, type WeftProcess } from './support/weft-process.js'

/**
 * The deployment recipes in deploy/ cannot run here (no Docker daemon, no
 * systemd as init): these specs check what can be checked without them, so
 * the recipes do not drift from weft's settings and defaults.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const DEPLOY = join(ROOT, 'deploy')
const run = promisify(execFile)

/** The ports a server listens on with the shipped defaults, as `4001/tcp` etc. */
async function defaultPorts (): Promise<string[]> {
  const defaults = JSON.parse(await readFile(join(ROOT, 'config/server.json'), 'utf8')) as { listen: string[], http: { port: number } }
  const ports = defaults.listen.map(addr => {
    const [, proto, port] = /\/(tcp|udp)\/(\d+)/.exec(addr) ?? []
    return `${port}/${proto}`
  })
  return [...new Set([...ports, `${defaults.http.port}/tcp`])].sort()
}

/** Dockerfile instructions, continuation lines joined. */
async function dockerfile (): Promise<Array<{ instruction: string, args: string }>> {
  const text = (await readFile(join(DEPLOY, 'Dockerfile'), 'utf8')).replace(/\\\n/g, ' ')
  return text.split('\n').filter(line => /^[A-Z]+\s/.test(line)).map(line => {
    const [instruction, ...rest] = line.split(/\s+/)
    return { instruction, args: rest.join(' ') }
  })
}

interface ComposeService {
  command: string[]
  volumes?: string[]
  ports?: string[]
  depends_on?: Record<string, { condition: string }>
}

async function compose (): Promise<{ services: Record<string, ComposeService>, volumes: Record<string, unknown> }> {
  return parse(await readFile(join(DEPLOY, 'compose.yaml'), 'utf8'), { merge: true })
}

/** Checks a `weft start` command line as the CLI would, without dialling: flag names, then every setting's value. */
async function assertValidStart (command: string[]): Promise<{ bootstrap: string[], dataDir: string }> {
  assert.equal(command[0], 'start')
  const { sources } = parseCommandLine(command.slice(1), {})
  const flags = new Map(sources.flags)
  // a URL is resolved to multiaddrs by asking the server, which is not running here
  const bootstrap = flags.get('bootstrap')?.values ?? []
  flags.delete('bootstrap')
  const config = await loadConfig({ flags, env: {} })
  return { bootstrap, dataDir: config.dataDir }
}

describe('deploy/Dockerfile', () => {
  it('exposes exactly the ports the shipped defaults listen on (TCP, WebSockets, WebRTC-direct UDP, HTTP)', async () => {
    const exposed = (await dockerfile()).filter(i => i.instruction === 'EXPOSE').flatMap(i => i.args.split(/\s+/))
    assert.deepEqual(exposed.sort(), await defaultPorts())
  })

  it('runs weft start as a non-root user, with its data directory on the volume', async () => {
    const instructions = await dockerfile()
    const final = instructions.slice(instructions.map(i => i.instruction).lastIndexOf('FROM'))
    assert.match(final[0].args, /^node:24-slim$/)
    const user = final.filter(i => i.instruction === 'USER').pop()?.args
    assert.ok(user != null && user !== 'root' && user !== '0', `USER ${user}`)
    const volume = JSON.parse(final.find(i => i.instruction === 'VOLUME')?.args ?? '[]') as string[]
    const cmd = JSON.parse(final.find(i => i.instruction === 'CMD')?.args ?? '[]') as string[]
    const { dataDir } = await assertValidStart(cmd)
    assert.deepEqual(volume, [dataDir])
  })

  it('builds with npm ci from the lock file', async () => {
    const runs = (await dockerfile()).filter(i => i.instruction === 'RUN').map(i => i.args)
    assert.ok(runs.some(r => /\bnpm ci\b/.test(r)), runs.join('\n'))
    assert.ok(runs.some(r => /\bnpm run build\b/.test(r)), runs.join('\n'))
  })
})

describe('deploy/compose.yaml', () => {
  it('runs three farmers, the second and third bootstrapping off the first by its HTTP URL once it is healthy', async () => {
    const { services } = await compose()
    assert.deepEqual(Object.keys(services), ['farmer1', 'farmer2', 'farmer3'])
    const first = await assertValidStart(services.farmer1.command)
    assert.deepEqual(first.bootstrap, [])
    for (const name of ['farmer2', 'farmer3']) {
      const { bootstrap } = await assertValidStart(services[name].command)
      assert.deepEqual(bootstrap, ['http://farmer1:8080'], name)
      assert.deepEqual(services[name].depends_on, { farmer1: { condition: 'service_healthy' } }, name)
    }
  })

  it('gives each farmer a volume of its own at its data directory', async () => {
    const { services, volumes } = await compose()
    const mounts = await Promise.all(Object.values(services).map(async s => {
      const { dataDir } = await assertValidStart(s.command)
      const [volume, path] = (s.volumes ?? [])[0]?.split(':') ?? []
      assert.equal(path, dataDir)
      return volume
    }))
    assert.equal(new Set(mounts).size, 3)
    assert.deepEqual(Object.keys(volumes).sort(), [...mounts].sort())
  })

  it('publishes only ports the image exposes', async () => {
    const { services } = await compose()
    const exposed = new Set(await defaultPorts())
    for (const mapping of services.farmer1.ports ?? []) {
      const [, container] = /^\d+:(\d+\/(?:tcp|udp))$/.exec(mapping) ?? []
      assert.ok(exposed.has(container), `${mapping} publishes a port the image does not expose`)
    }
  })
})

describe("compose.yaml's farmers, run as processes on this machine", () => {
  const servers: WeftProcess[] = []
  const dirs: string[] = []
  after(async () => {
    await Promise.all(servers.map(async s => s.stop()))
    for (const dir of dirs) await removeDir(dir)
  })

  it('form one network through the first farmer\'s URL, which stores a file at the default write quorum', async () => {
    const { services } = await compose()
    let firstUrl: string | undefined
    for (const service of Object.values(services)) {
      // each farmer's own command, with this machine's paths and the first farmer's real URL for
      // its service name; the test picks the ports (three processes share one host here)
      const args: string[] = []
      const rest = service.command.slice(1)
      for (let i = 0; i < rest.length; i++) {
        if (rest[i] === '--data') { i++; continue }
        args.push(rest[i] === 'http://farmer1:8080' ? firstUrl ?? assert.fail('farmer1 is not up') : rest[i])
      }
      const dataDir = await tempDir()
      dirs.push(dataDir)
      const server = await spawnServer({ dataDir, http: true, browserTransports: true, args })
      servers.push(server)
      firstUrl ??= server.httpUrl
    }
    await statusWhen(servers[0], status => status.routingTableSize >= 2)
    const dir = await tempDir()
    dirs.push(dir)
    await writeFile(join(dir, 'hello.txt'), 'hello, farmers\n')
    const put = await runWeft(['put', join(dir, 'hello.txt'), '--bootstrap', firstUrl ?? '', '--quiet'])
    assert.equal(put.code, 0, put.stderr)
    assert.match(put.stdout, /^baf\w+\n$/)
  })
})

describe('deploy/weft.example.json', () => {
  it('is a valid config announcing a wss address behind the proxy and keeping WebSockets on loopback', async () => {
    const config = await loadConfig({ file: join(DEPLOY, 'weft.example.json'), env: {} })
    assert.ok(config.announce.some(a => /\/tcp\/443\/wss$/.test(a)), config.announce.join(', '))
    assert.ok(config.listen.some(a => a.startsWith('/ip4/127.0.0.1/') && a.endsWith('/ws')), config.listen.join(', '))
    assert.equal(config.http.host, '127.0.0.1')
    assert.equal(config.allowPrivateAddresses, false)
  })
})

describe('deploy/weft.service', () => {
  const dirs: string[] = []
  after(async () => { for (const dir of dirs) await removeDir(dir) })

  it('passes systemd-analyze verify, run against this checkout', async (t) => {
    const found = await run('systemd-analyze', ['--version']).then(() => true, () => false)
    if (!found) { t.skip('systemd-analyze is not installed'); return }
    const unit = await readFile(join(DEPLOY, 'weft.service'), 'utf8')
    assert.match(unit, /^ExecStart=\/opt\/weft\/node_modules\/\.bin\/node \/opt\/weft\/dist\/bundle\/cli\/weft\.js start /m)
    // verify checks that ExecStart's program exists: point it at this checkout's
    const here = unit.replace('/opt/weft/node_modules/.bin/node', process.execPath).replace('/opt/weft/dist/bundle/cli/weft.js', WEFT_BIN)
    const dir = await tempDir('weft-unit-')
    dirs.push(dir)
    await writeFile(join(dir, 'weft.service'), here)
    const { stderr } = await run('systemd-analyze', ['verify', join(dir, 'weft.service')])
    assert.equal(stderr, '')
  })

  it('runs weft start with the command line weft accepts, as a user of its own in its StateDirectory', async () => {
    const unit = await readFile(join(DEPLOY, 'weft.service'), 'utf8')
    const value = (key: string): string | undefined => new RegExp(`^${key}=(.*)$`, 'm').exec(unit)?.[1]
    const exec = value('ExecStart')?.split(/\s+/) ?? []
    const args = exec.slice(2)
    assert.equal(args[0], 'start')
    // the config file named is the operator's: check the flags, not the file
    const { sources } = parseCommandLine(args.slice(1), {})
    assert.equal(sources.flags?.get('dataDir')?.values[0], `/var/lib/${value('StateDirectory')}`)
    assert.equal(value('User'), 'weft')
    assert.equal(value('Restart'), 'on-failure')
    assert.equal(value('NoNewPrivileges'), 'yes')
    assert.equal(value('ProtectSystem'), 'strict')
  })
})
