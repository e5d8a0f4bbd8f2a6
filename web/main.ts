import { createNode } from '../src/index.js'

const info = await (await fetch('/weft/bootstrap.json')).json()
const node = await createNode({ role: 'browser', bootstrap: info.bootstrap, allowPrivateAddresses: info.allowPrivateAddresses })
document.getElementById('peer-id')!.textContent = node.peerId.toString()
;(globalThis as any).weft = node
