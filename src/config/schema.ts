import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'

/** What kind of value a setting holds; decides how strings from env and flags are parsed. */
export type SettingKind = 'string' | 'integer' | 'boolean' | 'role' | 'protocol' | 'multiaddrs' | 'peerMultiaddrs' | 'urls' | 'host' | 'text' | 'peerIds'

export interface Setting {
  /** Dotted path in the config object, e.g. `relay.maxReservations`. */
  key: string
  kind: SettingKind
  /** Smallest allowed value for integers. */
  min?: number
  max?: number
}

/** Every setting weft knows. Validation, env names and flags are all derived from this list. */
export const SETTINGS: readonly Setting[] = [
  { key: 'role', kind: 'role' },
  { key: 'dataDir', kind: 'string' },
  { key: 'listen', kind: 'multiaddrs' },
  { key: 'announce', kind: 'multiaddrs' },
  { key: 'bootstrap', kind: 'peerMultiaddrs' },
  { key: 'allowPrivateAddresses', kind: 'boolean' },
  { key: 'dht.protocol', kind: 'protocol' },
  { key: 'relay.maxReservations', kind: 'integer', min: 0 },
  { key: 'relay.reservationTtlMs', kind: 'integer', min: 1000 },
  { key: 'relay.maxReservationsPerRange', kind: 'integer', min: 0 },
  { key: 'connections.maxConnections', kind: 'integer', min: 1 },
  { key: 'connections.dialTimeoutMs', kind: 'integer', min: 100 },
  { key: 'connections.inboundPerHostPerSecond', kind: 'integer', min: 1 },
  { key: 'connections.maxIncomingPending', kind: 'integer', min: 1 },
  { key: 'webrtc.iceServers', kind: 'urls' },
  { key: 'http.enabled', kind: 'boolean' },
  { key: 'http.host', kind: 'host' },
  { key: 'http.port', kind: 'integer', min: 0, max: 65535 },
  { key: 'http.metrics', kind: 'boolean' },
  { key: 'storage.maxBytes', kind: 'integer', min: 0 },
  { key: 'storage.chunkSize', kind: 'integer', min: 1024, max: 1_048_576 },
  { key: 'storage.replication', kind: 'integer', min: 1, max: 20 },
  { key: 'storage.writeQuorum', kind: 'integer', min: 1, max: 20 },
  { key: 'storage.fetchTimeoutMs', kind: 'integer', min: 100 },
  { key: 'storage.repairIntervalMs', kind: 'integer', min: 0 },
  { key: 'storage.repairBytesPerSecond', kind: 'integer', min: 0 },
  { key: 'storage.auditsPerHour', kind: 'integer', min: 0, max: 3600 },
  { key: 'storage.auditDeadlineMs', kind: 'integer', min: 1, max: 60_000 },
  { key: 'storage.auditBytesPerHour', kind: 'integer', min: 0 },
  { key: 'http.gateway', kind: 'boolean' },
  { key: 'http.gatewayTimeoutMs', kind: 'integer', min: 100 },
  { key: 'http.gatewayMaxBytes', kind: 'integer', min: 0 },
  { key: 'storage.responsibilitySlack', kind: 'integer', min: 0, max: 20 },
  { key: 'storage.peerStoreBytesPerHour', kind: 'integer', min: 0 },
  { key: 'storage.peerStoreBytes', kind: 'integer', min: 0 },
  { key: 'storage.peerStreams', kind: 'integer', min: 0 },
  { key: 'storage.peerServeBytesPerSecond', kind: 'integer', min: 0 },
  { key: 'storage.allowPeers', kind: 'peerIds' },
  { key: 'storage.putLeaseMs', kind: 'integer', min: 0 },
  { key: 'network.psk', kind: 'text' }
]

const BY_KEY = new Map(SETTINGS.map(s => [s.key, s]))

/** Groups that hold settings (`relay`, `dht`...): objects, not values. */
export const GROUPS = new Set(SETTINGS.filter(s => s.key.includes('.')).map(s => s.key.split('.')[0]))

export function settingFor (key: string): Setting | undefined {
  return BY_KEY.get(key)
}

/** Checks one value against its setting; returns a reason when it is wrong. */
export function problemWith (setting: Setting, value: unknown): string | undefined {
  switch (setting.kind) {
    case 'string':
      return typeof value === 'string' && value.length > 0 ? undefined : 'must be a non-empty string'
    case 'host':
      return typeof value === 'string' && /^[A-Za-z0-9.:[\]-]+$/.test(value) ? undefined : 'must be a host name or IP address'
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be true or false'
    case 'role':
      return value === 'server' || value === 'browser' ? undefined : 'must be "server" or "browser"'
    case 'protocol':
      return typeof value === 'string' && /^\/[\x21-\x7e]+$/.test(value) ? undefined : 'must be a protocol id starting with "/"'
    case 'integer': {
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) return 'must be a whole number'
      if (setting.min != null && value < setting.min) return `must be at least ${setting.min}`
      if (setting.max != null && value > setting.max) return `must be at most ${setting.max}`
      return undefined
    }
    case 'multiaddrs':
    case 'peerMultiaddrs':
      return problemWithList(value, item => problemWithMultiaddr(item, setting.kind === 'peerMultiaddrs'))
    case 'urls':
      return problemWithList(value, item => /^(stun|stuns|turn|turns):\S+$/.test(item) ? undefined : `"${item}" is not a stun:/turn: url`)
    case 'text':
      return typeof value === 'string' ? undefined : 'must be a string'
    case 'peerIds':
      return problemWithList(value, item => { try { peerIdFromString(item); return undefined } catch { return `"${item}" is not a PeerId` } })
  }
}

function problemWithList (value: unknown, check: (item: string) => string | undefined): string | undefined {
  if (!Array.isArray(value)) return 'must be a list'
  for (const item of value) {
    if (typeof item !== 'string') return 'must be a list of strings'
    const problem = check(item)
    if (problem != null) return problem
  }
  return undefined
}

function problemWithMultiaddr (text: string, needsPeerId: boolean): string | undefined {
  let ma
  try {
    ma = multiaddr(text)
  } catch {
    return `"${text}" is not a valid multiaddr`
  }
  if (needsPeerId && ma.getComponents().every(c => c.name !== 'p2p')) {
    return `"${text}" has no /p2p/<peer id> suffix`
  }
  // libp2p would fail later with "Incorrect length" or "Please pass a multibase decoder"
  for (const c of ma.getComponents()) {
    if (c.name !== 'p2p' || c.value == null) continue
    try {
      peerIdFromString(c.value)
    } catch {
      return `"${text}": "${c.value}" is not a PeerId (one looks like 12D3KooW… or Qm…, as weft start prints it)`
    }
  }
  return undefined
}

/** Parses a string from an environment variable or a flag into the setting's type. */
export function parseSettingText (setting: Setting, text: string): unknown {
  switch (setting.kind) {
    case 'integer':
      return /^-?\d+$/.test(text.trim()) ? Number(text) : text
    case 'boolean':
      if (text === 'true' || text === '1') return true
      if (text === 'false' || text === '0') return false
      return text
    case 'multiaddrs':
    case 'peerMultiaddrs':
    case 'urls':
    case 'peerIds':
      return text.split(',').map(s => s.trim()).filter(s => s.length > 0)
    default:
      return text
  }
}

/** `relay.maxReservations` -> `WEFT_RELAY_MAX_RESERVATIONS` */
export function envNameFor (key: string): string {
  return 'WEFT_' + key.replace(/\./g, '_').replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()
}

/** `relay.maxReservations` -> `relay.max-reservations` */
export function flagNameFor (key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()
}
