// Node.js only (it reads the data directory): imported by the CLI, never by
// src/index.ts, which the page's bundle shares.
import { randomBytes } from 'node:crypto'
import { mkdir, open, readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'

/** The file in a data directory that holds the user's convergence secret. */
export const CONVERGENCE_SECRET_FILE = 'convergence-secret'
const SECRET_BYTES = 32

/** A convergence secret file that exists but is not one (wrong length): never replaced silently, which would change every convergent CID. */
export class ConvergenceSecretError extends Error {
  static override readonly name = 'ConvergenceSecretError'
  override readonly name = 'ConvergenceSecretError'
  readonly path: string

  constructor (message: string, path: string) {
    super(message)
    this.path = path
  }
}

/**
 * The per-user convergence secret in `dataDir`, made (32 random bytes, mode
 * 0600) the first time. Convergent puts by the same user with the same
 * secret give the same CIDs; no one without it can confirm a guess of the
 * content (docs/encryption.md).
 */
export async function loadConvergenceSecret (dataDir: string): Promise<Uint8Array> {
  const path = resolve(join(dataDir, CONVERGENCE_SECRET_FILE))
  const existing = await readFile(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined
    throw err
  })
  if (existing != null) return checked(existing, path)
  await mkdir(dataDir, { recursive: true })
  try {
    // 'wx': two puts starting at once never overwrite each other's secret
    const file = await open(path, 'wx', 0o600)
    try {
      const secret = randomBytes(SECRET_BYTES)
      await file.writeFile(secret)
      await file.sync()
      return new Uint8Array(secret)
    } finally {
      await file.close()
    }
  } catch (err: any) {
    if (err?.code === 'EEXIST') return checked(await readFile(path), path)
    throw err
  }
}

function checked (bytes: Uint8Array, path: string): Uint8Array {
  if (bytes.byteLength !== SECRET_BYTES) {
    throw new ConvergenceSecretError(`${path} holds ${bytes.byteLength} bytes, not a ${SECRET_BYTES}-byte convergence secret: restore it from a backup, or remove it to start a new one (convergent CIDs will change)`, path)
  }
  return new Uint8Array(bytes)
}
