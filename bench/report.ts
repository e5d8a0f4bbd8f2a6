// The run's output: one markdown table per measurement, and the same data
// as JSON in bench/results/<timestamp>.json.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Summary } from './stats.js'

/** One measurement's results: a table for people, data for the JSON file. */
export interface Section {
  id: string
  title: string
  /** What the figures mean, printed under the title. */
  note?: string
  columns: string[]
  rows: string[][]
  data: unknown
}

/** `median (min–max)` with the given number of decimals. */
export function formatSummary (s: Summary | undefined, digits = 0): string {
  if (s == null) return '–'
  return `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`
}

/** A section as markdown. */
export function markdown (section: Section): string {
  const lines = [`### ${section.title}`, '']
  if (section.note != null) lines.push(section.note, '')
  lines.push(`| ${section.columns.join(' | ')} |`)
  lines.push(`| ${section.columns.map(() => '---').join(' | ')} |`)
  for (const row of section.rows) lines.push(`| ${row.join(' | ')} |`)
  return lines.join('\n') + '\n'
}

/** Writes the run's JSON next to the earlier ones and returns its path. */
export async function writeResults (dir: string, run: object): Promise<string> {
  await mkdir(dir, { recursive: true })
  const path = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
  await writeFile(path, JSON.stringify(run, null, 2) + '\n')
  return path
}
