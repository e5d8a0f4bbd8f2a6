import { readFileSync } from 'node:fs'

// Runs before anything else of weft is imported: an older Node fails deep
// inside libp2p (`Promise.withResolvers is not a function`, after seconds of
// start-up) instead of saying what is wrong. Only `node:` built-ins here.

/** The oldest Node.js major version weft runs on: package.json's `engines.node` (`>=24`). */
export function requiredNodeMajor (): number {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'))
  const match = /(\d+)/.exec(String(pkg.engines?.node ?? ''))
  return match == null ? 0 : Number(match[1])
}

/**
 * Why this Node.js cannot run weft, as the line to print, or undefined when
 * it can. `version` is `process.version` (`v20.20.2`).
 */
export function nodeVersionProblem (version: string, execPath: string, required = requiredNodeMajor()): string | undefined {
  const major = Number(/^v?(\d+)/.exec(version)?.[1] ?? 0)
  if (major >= required) return undefined
  return `needs Node.js ${required} or newer, but ${execPath} is ${version}. ` +
    `In the weft checkout, "npx weft ..." runs the Node.js the package pins (node_modules/.bin/node); ` +
    `elsewhere install Node.js ${required} (nodejs.org, or nvm install ${required}).`
}
