import assert from 'node:assert/strict'
import { createSocket, type Socket } from 'node:dgram'
import { describe, it } from 'node:test'
import { ListenError } from '../../src/errors.js'
import { settleUdpPorts } from '../../src/node/udp-ports.js'
import { TEST_HOST } from '../support/weft-process.js'

/** A UDP socket bound on the test host (port 0: one the kernel picks). */
async function boundUdp (port = 0): Promise<{ port: number, socket: Socket }> {
  const socket = createSocket('udp4')
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject)
    socket.bind(port, TEST_HOST, () => { resolve() })
  })
  return { port: socket.address().port, socket }
}

async function close (socket: Socket): Promise<void> {
  await new Promise<void>(resolve => socket.close(() => { resolve() }))
}

describe('settling the UDP ports of WebRTC-direct listen addresses', () => {
  it('gives port 0 a port that is free for UDP on the address\'s host', async () => {
    const [settled] = await settleUdpPorts([`/ip4/${TEST_HOST}/udp/0/webrtc-direct`])
    const port = Number(/\/udp\/(\d+)\/webrtc-direct$/.exec(settled)?.[1])
    assert.ok(port > 0, settled)
    const { socket } = await boundUdp(port)
    await close(socket)
  })

  it('keeps a port given when it is free, and every other address as it is', async () => {
    const { port, socket } = await boundUdp()
    await close(socket)
    const listen = [`/ip4/${TEST_HOST}/tcp/0`, `/ip4/${TEST_HOST}/tcp/0/ws`, `/ip4/${TEST_HOST}/udp/${port}/webrtc-direct`, '/p2p-circuit', '/webrtc']
    assert.deepEqual(await settleUdpPorts(listen), listen)
  })

  it('refuses a port taken for UDP with a ListenError naming the address and the listen setting', async () => {
    const { port, socket } = await boundUdp()
    try {
      const address = `/ip4/${TEST_HOST}/udp/${port}/webrtc-direct`
      await assert.rejects(settleUdpPorts([`/ip4/${TEST_HOST}/tcp/0`, address]), (err: any) => {
        assert.ok(err instanceof ListenError, String(err))
        assert.equal(err.address, address)
        assert.equal(err.setting, 'listen')
        assert.match(err.message, /^cannot listen on \S+ \(the UDP port is taken.*change "listen"/)
        return true
      })
    } finally {
      await close(socket)
    }
  })
})
