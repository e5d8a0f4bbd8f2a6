import { startTestnet } from '/work/main/dist/src/testing/index.js'
const t0 = Date.now()
const net = await startTestnet({ servers: 20, processes: 20, host: '127.0.0.1' })
console.log('ready', Date.now() - t0)
await new Promise(r => setTimeout(r, 60000))
const s = await net.status(net.servers[3].peerId)
console.log(JSON.stringify(s.storage.repair), s.routingTableSize, Object.values(s.connections))
await net.stop(); process.exit(0)
