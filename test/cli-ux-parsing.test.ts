import assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { parseBootstrapTarget, parseGetTarget } from '../src/cli/target.js'
import { resolveOutputPath, safeFileName } from '../src/cli/output-path.js'
import { nearestName } from '../src/config/nearest.js'
import { nodeVersionProblem } from '../src/cli/node-version.js'
import { loadConfig } from '../src/config/load.js'
import { parseCommandLine } from '../src/cli/args.js'
import { bootstrapFromDataDir, listeningAddresses, writeListeningFile } from '../src/cli/find-server.js'
import { tempDir } from './support/weft-process.js'

const CID = 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku'
const isUsageError = (value: RegExp) => (err: any): boolean => err.name === 'UsageError' && value.test(err.message)

describe('what weft get takes as its argument (src/cli/target.ts)', () => {
  it('a bare CID, as it is', () => {
    assert.deepEqual(parseGetTarget(` ${CID} `), { cid: CID })
  })

  it('the page\'s share link: the CID, the name and the server it came from', () => {
    assert.deepEqual(parseGetTarget(`http://10.0.0.5:8080/#/${CID}/holiday%20video.mp4`), { cid: CID, name: 'holiday video.mp4', server: 'http://10.0.0.5:8080/' })
    assert.deepEqual(parseGetTarget(`https://weft.example/app/#/${CID}`), { cid: CID, server: 'https://weft.example/app/' })
  })

  it('/ipfs/<cid>, ipfs://<cid> and a gateway URL (its ?filename= as the name)', () => {
    assert.deepEqual(parseGetTarget(`/ipfs/${CID}`), { cid: CID })
    assert.deepEqual(parseGetTarget(`/ipfs/${CID}/`), { cid: CID })
    assert.deepEqual(parseGetTarget(`ipfs://${CID}`), { cid: CID })
    assert.deepEqual(parseGetTarget(`http://127.0.0.1:8080/ipfs/${CID}?filename=a.txt`), { cid: CID, name: 'a.txt', server: 'http://127.0.0.1:8080/' })
  })

  it('refuses a path below the CID and a URL that names no file, naming the value', () => {
    assert.throws(() => parseGetTarget(`/ipfs/${CID}/dir/file`), isUsageError(/names a path inside/))
    assert.throws(() => parseGetTarget('http://127.0.0.1:8080/'), isUsageError(/"http:\/\/127\.0\.0\.1:8080\/" names no file/))
    assert.throws(() => parseGetTarget('ipfs://'), isUsageError(/no CID/))
  })
})

describe('where a --bootstrap value points (src/cli/target.ts)', () => {
  it('a multiaddr, a URL, host:port, or else a data directory', () => {
    assert.deepEqual(parseBootstrapTarget('/ip4/1.2.3.4/tcp/4001/p2p/12D3KooWxyz'), { kind: 'multiaddr', multiaddr: '/ip4/1.2.3.4/tcp/4001/p2p/12D3KooWxyz' })
    assert.deepEqual(parseBootstrapTarget('/dns4/seed.example/tcp/4001/p2p/12D3KooWxyz').kind, 'multiaddr')
    assert.deepEqual(parseBootstrapTarget('http://127.0.0.1:8080'), { kind: 'url', url: 'http://127.0.0.1:8080' })
    assert.deepEqual(parseBootstrapTarget('localhost:8080'), { kind: 'url', url: 'http://localhost:8080' })
    assert.deepEqual(parseBootstrapTarget('/var/lib/weft'), { kind: 'dir', path: '/var/lib/weft' })
    assert.deepEqual(parseBootstrapTarget('.weft'), { kind: 'dir', path: '.weft' })
  })

  it('a data directory gives the addresses its running server wrote, and says when none runs', async () => {
    const dir = await tempDir()
    await assert.rejects(bootstrapFromDataDir(dir), isUsageError(/is not a multiaddr .* or a weft data directory/))
    await writeFile(join(dir, 'peer-id'), '12D3KooWxyz\n')
    await assert.rejects(bootstrapFromDataDir(dir), isUsageError(/no server is running on/))
    await writeListeningFile(dir, { peerId: '12D3KooWxyz', multiaddrs: ['/ip4/127.0.0.1/tcp/1/p2p/12D3KooWxyz'], pid: process.pid })
    assert.deepEqual(await bootstrapFromDataDir(dir), ['/ip4/127.0.0.1/tcp/1/p2p/12D3KooWxyz'])
    // a file left by a process that is gone says nothing
    await writeListeningFile(dir, { peerId: '12D3KooWxyz', multiaddrs: ['/ip4/127.0.0.1/tcp/1/p2p/12D3KooWxyz'], pid: 2 ** 22 + 1 })
    assert.equal(await listeningAddresses(dir), undefined)
  })
})

describe('-o PATH, checked before fetching (src/cli/output-path.ts)', () => {
  it('an existing directory, with or without "/", means the file\'s name inside it', async () => {
    const dir = await tempDir()
    assert.equal(await resolveOutputPath(dir, 'clip.mp4'), join(dir, 'clip.mp4'))
    assert.equal(await resolveOutputPath(`${dir}/`, CID), join(dir, CID))
  })

  it('a file in an existing directory as it is', async () => {
    const dir = await tempDir()
    assert.equal(await resolveOutputPath(join(dir, 'out.bin'), 'x'), join(dir, 'out.bin'))
  })

  it('a missing directory, or a file where a directory should be, is a UsageError naming the path', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'file'), '')
    await assert.rejects(resolveOutputPath(join(dir, 'missing/'), 'x'), isUsageError(/no such directory/))
    await assert.rejects(resolveOutputPath(join(dir, 'missing', 'out.bin'), 'x'), isUsageError(/no such directory/))
    await assert.rejects(resolveOutputPath(join(dir, 'file', 'out.bin'), 'x'), isUsageError(/not a directory/))
  })

  it('a name from a link never leaves the directory', async () => {
    assert.equal(safeFileName('../../etc/passwd'), 'passwd')
    assert.equal(safeFileName('..'), 'download')
    const dir = await tempDir()
    await mkdir(join(dir, 'sub'))
    assert.equal(await resolveOutputPath(join(dir, 'sub'), '../x'), join(dir, 'sub', 'x'))
  })
})

describe('names close to a typo (src/config/nearest.ts)', () => {
  it('finds the flag, command or setting meant', () => {
    assert.equal(nearestName('quite', ['quiet', 'output', 'offset']), 'quiet')
    assert.equal(nearestName('boostrap', ['bootstrap', 'listen']), 'bootstrap')
    assert.equal(nearestName('gte', ['start', 'put', 'get', 'status']), 'get')
    assert.equal(nearestName('write-quorum', ['storage.replication', 'storage.writeQuorum']), 'storage.writeQuorum')
  })

  it('suggests nothing for a name far from all of them', () => {
    assert.equal(nearestName('frobnicate', ['quiet', 'output']), undefined)
  })
})

describe('flag and config-file spelling', () => {
  it('takes a setting\'s flag in kebab-case and in camelCase', async () => {
    for (const flag of ['--storage.write-quorum', '--storage.writeQuorum']) {
      const cli = parseCommandLine([flag, '2'], {})
      assert.equal((await loadConfig(cli.sources)).storage.writeQuorum, 2, flag)
    }
  })

  it('names the nearest flag for a typo', () => {
    assert.throws(() => parseCommandLine(['--quite'], {}, { quiet: { type: 'boolean', short: 'q' } }), isUsageError(/'--quite' \(did you mean --quiet\?\)/))
    assert.throws(() => parseCommandLine(['--storage.write-quorom', '2'], {}), isUsageError(/did you mean --storage\.write-quorum\?/))
  })

  it('takes kebab-case keys in a config file, and names the nearest setting for an unknown one', async () => {
    const dir = await tempDir()
    const file = join(dir, 'weft.json')
    await writeFile(file, JSON.stringify({ storage: { 'write-quorum': 2 }, 'allow-private-addresses': false }))
    const config = await loadConfig({ file })
    assert.equal(config.storage.writeQuorum, 2)
    assert.equal(config.allowPrivateAddresses, false)
    await writeFile(file, JSON.stringify({ storage: { 'write-quorom': 2 } }))
    await assert.rejects(loadConfig({ file }), (err: any) => err.name === 'ConfigError' && /unknown setting "storage\.writeQuorom" \(did you mean storage\.writeQuorum\?\)/.test(err.message))
  })

  it('a bad PeerId in a bootstrap multiaddr is a ConfigError naming the value', async () => {
    for (const id of ['12D3KooWAbc', 'xyz0']) {
      const cli = parseCommandLine(['--bootstrap', `/ip4/127.0.0.1/tcp/1/p2p/${id}`], {})
      await assert.rejects(loadConfig(cli.sources), (err: any) => err.name === 'ConfigError' && err.message.includes(`"${id}" is not a PeerId`))
    }
  })
})

describe('the Node.js version check (src/cli/node-version.ts)', () => {
  it('names the version needed and how to run the pinned one', () => {
    const problem = nodeVersionProblem('v20.20.2', '/usr/bin/node', 24)
    assert.match(problem ?? '', /needs Node\.js 24 or newer, but \/usr\/bin\/node is v20\.20\.2.*npx weft/)
    assert.equal(nodeVersionProblem('v24.21.0', '/x/node', 24), undefined)
  })
})
