import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { describe, it } from 'node:test'
import { SINGLE_THREADED_GC, singleThreadedGcCommand, type ProcessFacts } from '../src/cli/gc-thread.js'
import { removeDir, spawnServer, WEFT_BIN } from './support/weft-process.js'

const SERVER: ProcessFacts = {
  args: ['start', '--data', '/var/lib/weft'],
  execArgv: ['--enable-source-maps'],
  execPath: '/usr/bin/node',
  script: '/opt/weft/dist/bundle/cli/weft.js',
  hasIpcChannel: false,
  canExec: true
}

/** A running process's command line, as the system sees it. */
async function commandLine (pid: number): Promise<string[]> {
  return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter(arg => arg !== '')
}

describe('a server\'s garbage collector on one thread (cli/gc-thread.ts)', () => {
  it('runs `weft start` again with --single-threaded-gc before its own flags and script, its arguments unchanged', () => {
    assert.deepEqual(singleThreadedGcCommand(SERVER), [
      '/usr/bin/node', SINGLE_THREADED_GC, '--enable-source-maps', '/opt/weft/dist/bundle/cli/weft.js', 'start', '--data', '/var/lib/weft'
    ])
  })

  it('leaves the other commands as they are, whose start-up the exec would slow', () => {
    for (const args of [['get', 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku'], ['put', 'file'], ['--version'], ['status'], []]) {
      assert.equal(singleThreadedGcCommand({ ...SERVER, args }), undefined, args.join(' '))
    }
  })

  it('leaves a server started with a flag of its own about GC threads as it is (so it is never run again twice)', () => {
    for (const flag of [SINGLE_THREADED_GC, '--no-single-threaded-gc', '--single-threaded', '--single_threaded_gc', '--no-concurrent-marking', '--parallel-scavenge', '--v8-pool-size=8']) {
      assert.equal(singleThreadedGcCommand({ ...SERVER, execArgv: [flag] }), undefined, flag)
    }
    assert.equal(singleThreadedGcCommand({ ...SERVER, nodeOptions: '--max-old-space-size=4096 --v8-pool-size=2' }), undefined)
    assert.notEqual(singleThreadedGcCommand({ ...SERVER, nodeOptions: '--max-old-space-size=4096' }), undefined)
  })

  it('leaves a server forked with an IPC channel, or on a platform without execve, as it is', () => {
    assert.equal(singleThreadedGcCommand({ ...SERVER, hasIpcChannel: true }), undefined)
    assert.equal(singleThreadedGcCommand({ ...SERVER, canExec: false }), undefined)
  })

  it('a `weft start` process runs with the flag under the process id it was started with', { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
    const server = await spawnServer()
    try {
      const pid = server.process.pid as number
      const argv = await commandLine(pid)
      assert.equal(argv.filter(arg => arg === SINGLE_THREADED_GC).length, 1, argv.join(' '))
      assert.deepEqual(argv.slice(argv.indexOf(WEFT_BIN), argv.indexOf(WEFT_BIN) + 2), [WEFT_BIN, 'start'])
      // and it serves: it printed its addresses and ready
      assert.ok(server.multiaddrs.length > 0)
    } finally {
      await server.stop()
      await removeDir(server.dataDir)
    }
  })

  it('a `weft start` process given --no-single-threaded-gc keeps V8\'s helper threads', { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
    const server = await spawnServer({ nodeArgs: ['--no-single-threaded-gc'] })
    try {
      const argv = await commandLine(server.process.pid as number)
      assert.ok(!argv.includes(SINGLE_THREADED_GC), argv.join(' '))
      assert.ok(argv.includes('--no-single-threaded-gc'), argv.join(' '))
    } finally {
      await server.stop()
      await removeDir(server.dataDir)
    }
  })
})
