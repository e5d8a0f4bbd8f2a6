import { multiaddr } from '@multiformats/multiaddr'
import type { WeftNode } from '../index.js'

/**
 * Says so on a server's stderr when none of its bootstrap peers answers: such
 * a server prints `ready` and would otherwise sit alone in silence (the rejoin
 * service dials them again with backoff, see src/node/rejoin.ts). Warns once
 * `connections.dialTimeoutMs` after start if no bootstrap peer is connected,
 * and says when one is. Returns a function that stops watching.
 */
export function watchBootstrap (node: WeftNode, say: (message: string) => void): () => void {
  const list = node.config.bootstrap
  if (list.length === 0) return () => {}
  const ids = new Set(list.map(addr => multiaddr(addr).getComponents().findLast(c => c.name === 'p2p')?.value).filter(id => id != null))
  const connected = (): boolean => node.libp2p.getConnections().some(c => ids.has(c.remotePeer.toString()))
  let warned = false
  const onConnect = (evt: CustomEvent<{ toString: () => string }>): void => {
    if (!warned || !ids.has(evt.detail.toString())) return
    warned = false
    say(`joined the network: bootstrap peer ${evt.detail.toString()} answered`)
  }
  node.libp2p.addEventListener('peer:connect', onConnect)
  const timer = setTimeout(() => {
    if (connected()) return
    warned = true
    say(`warning: none of the ${list.length} bootstrap peer${list.length === 1 ? '' : 's'} answered within ${node.config.connections.dialTimeoutMs / 1000} s ` +
      `(${list.join(', ')}); this server is alone until one does. Dialling them again with backoff; "weft status" shows it`)
  }, node.config.connections.dialTimeoutMs)
  timer.unref()
  return () => {
    clearTimeout(timer)
    node.libp2p.removeEventListener('peer:connect', onConnect)
  }
}
