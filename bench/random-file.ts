import { createHash, randomFillSync } from 'node:crypto'
import { open } from 'node:fs/promises'
import { join } from 'node:path'

/** A file of random bytes the seeders serve, with the hash fetchers check against. */
export interface RandomFile {
  path: string
  size: number
  sha256: string
}

/** Writes `size` random bytes to `dir`, hashing them on the way. */
export async function randomFile (dir: string, size: number): Promise<RandomFile> {
  const path = join(dir, `random-${size}.bin`)
  const hash = createHash('sha256')
  const chunk = Buffer.alloc(4 * 2 ** 20)
  const file = await open(path, 'w')
  try {
    for (let written = 0; written < size;) {
      const part = chunk.subarray(0, Math.min(chunk.byteLength, size - written))
      randomFillSync(part)
      hash.update(part)
      await file.write(part)
      written += part.byteLength
    }
  } finally {
    await file.close()
  }
  return { path, size, sha256: hash.digest('hex') }
}
