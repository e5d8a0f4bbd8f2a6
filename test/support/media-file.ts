import { execFile } from 'node:child_process'
import { mkdir, readFile, rename } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** What `mediaFile` makes: a video of noise over a test pattern, so that it does not compress below its bitrate. */
export interface MediaSpec {
  /** `webm` (VP8) or `mp4` (H.264, its index at the end as ffmpeg writes it by default). */
  format: 'webm' | 'mp4'
  seconds: number
  /** Video bitrate, in Mbit/s: the file is about `seconds * mbps / 8` MB. */
  mbps: number
  /** The noise's seed: another seed, other bytes (default: ffmpeg's own). */
  seed?: number
}

/**
 * A generated video file's bytes, made with ffmpeg (test/support/ensure-ffmpeg.sh
 * installs Debian's) once and kept in the system's temporary directory for
 * the next run: encoding takes seconds a run need not spend again.
 */
export async function mediaFile (spec: MediaSpec): Promise<Uint8Array> {
  const dir = join(tmpdir(), 'weft-test-media')
  const file = join(dir, `${spec.seconds}s-${spec.mbps}mbps${spec.seed != null ? `-seed${spec.seed}` : ''}.${spec.format}`)
  try {
    return await readFile(file)
  } catch {}
  await mkdir(dir, { recursive: true })
  const rate = `${spec.mbps}M`
  const codec = spec.format === 'webm'
    ? ['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8']
    : ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p']
  const partial = `${file}.${process.pid}.part`
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25', '-vf', `noise=alls=60:allf=t${spec.seed != null ? `:all_seed=${spec.seed}` : ''}`, '-t', String(spec.seconds),
    ...codec, '-b:v', rate, '-minrate', rate, '-maxrate', rate, '-bufsize', rate, '-g', '50', '-an', '-f', spec.format, partial])
  await rename(partial, file)
  return readFile(file)
}
