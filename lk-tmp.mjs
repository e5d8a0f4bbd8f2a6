import { createNode } from '/work/main/dist/src/index.js'
import { joinNetwork } from '/work/main/dist/src/cli/transfer.js'
const node = await createNode({ bootstrap: [process.argv[2]], allowPrivateAddresses: true }, { transient: true })
await joinNetwork(node, AbortSignal.timeout(30000))
for (let i = 0; i < 4; i++) {
  const t0 = performance.now(); let n = 0, q = 0, err = 0; let last = 0; const marks = []
  for await (const e of node.libp2p.services.dht.getClosestPeers(crypto.getRandomValues(new Uint8Array(32)), { signal: AbortSignal.timeout(30000) })) {
    if (e.name === 'SEND_QUERY') q++
    if (e.name === 'QUERY_ERROR') { err++; marks.push('err ' + Math.round(performance.now() - t0) + ' ' + e.error?.name) }
    if (e.name === 'PEER_RESPONSE') last = performance.now() - t0
    if (e.name === 'FINAL_PEER') n++
  }
  console.log(`lookup ${i}: ${Math.round(performance.now() - t0)} ms, ${q} queries, ${err} errors, last response at ${Math.round(last)} ms, ${n} final`, marks.slice(0, 4).join(', '))
}
await node.stop(); process.exit(0)
