// A strict reader of the Prometheus text exposition format (version 0.0.4),
// for specs: every line must be a HELP, a TYPE or a sample of a declared
// metric, with valid names, labels and values, or it throws naming the line.

/** One sample line: its metric name, labels and value. */
export interface PromSample {
  name: string
  labels: Record<string, string>
  value: number
}

/** A parsed scrape: every metric family's type and help, and every sample. */
export interface PromText {
  types: Map<string, string>
  help: Map<string, string>
  samples: PromSample[]
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*'
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\["\\\\n])*"'
const SAMPLE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*)?,?\\})? (\\S+)(?: (-?\\d+))?$`)
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped'])
/** Suffixes a histogram's or summary's samples add to its family name. */
const SUFFIXES = ['_bucket', '_sum', '_count']

function familyOf (name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) return name
  const suffix = SUFFIXES.find(s => name.endsWith(s))
  return suffix != null && types.has(name.slice(0, -suffix.length)) ? name.slice(0, -suffix.length) : undefined
}

/** A value as Prometheus reads it (Go's ParseFloat: NaN and Inf in any case; prom-client writes "Nan"). */
function value (text: string, line: string): number {
  const word = text.toLowerCase()
  if (word === '+inf' || word === 'inf') return Infinity
  if (word === '-inf') return -Infinity
  if (word === 'nan') return NaN
  const n = Number(text)
  if (!Number.isFinite(n)) throw new Error(`not a sample value: ${JSON.stringify(line)}`)
  return n
}

/** Parses `text`, or throws on the first line that is not Prometheus text. */
export function parsePrometheusText (text: string): PromText {
  const types = new Map<string, string>()
  const help = new Map<string, string>()
  const samples: PromSample[] = []
  for (const line of text.split('\n')) {
    if (line === '') continue
    const comment = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line)
    if (comment != null) {
      const [, kind, name, rest] = comment
      if (!new RegExp(`^${NAME}$`).test(name)) throw new Error(`bad metric name in ${JSON.stringify(line)}`)
      if (kind === 'TYPE') {
        if (!TYPES.has(rest)) throw new Error(`unknown type in ${JSON.stringify(line)}`)
        if (types.has(name)) throw new Error(`second TYPE for ${name}`)
        types.set(name, rest)
      } else {
        help.set(name, rest)
      }
      continue
    }
    if (line.startsWith('#')) continue
    const sample = SAMPLE.exec(line)
    if (sample == null) throw new Error(`not a sample line: ${JSON.stringify(line)}`)
    const [, name, labelText, valueText] = sample
    if (familyOf(name, types) == null) throw new Error(`sample of ${name} before its TYPE`)
    const labels: Record<string, string> = {}
    for (const m of (labelText ?? '').matchAll(new RegExp(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\\\\n]|\\\\["\\\\n])*)"`, 'g'))) labels[m[1]] = m[2]
    samples.push({ name, labels, value: value(valueText, line) })
  }
  return { types, help, samples }
}

/** The sum of `name`'s samples whose labels include `labels`. */
export function sampleSum (text: PromText, name: string, labels: Record<string, string> = {}): number {
  return text.samples
    .filter(s => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0)
}
