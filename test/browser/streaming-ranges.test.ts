// The pure parts of the page's streaming (no browser): byte ranges, content
// types and their policy, MP4 layout, and the stream URLs.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { contentRange, parseRange } from '../../web/byte-range.js'
import { contentDisposition, isInline, kindOf, mp4IndexAt, servedType, sniffType, typeOfName } from '../../web/media-type.js'
import { parseStreamUrl, streamUrl } from '../../web/stream-protocol.js'

const bytes = (...parts: Array<string | number[]>): Uint8Array => {
  const all = parts.flatMap(p => typeof p === 'string' ? Array.from(p, c => c.charCodeAt(0)) : p)
  return Uint8Array.from(all)
}
const box = (type: string, size: number): number[] => [size >>> 24, (size >>> 16) & 255, (size >>> 8) & 255, size & 255, ...Array.from(type, c => c.charCodeAt(0))]

describe('byte ranges a player asks for', () => {
  it('serve the slice asked, clamped to the file', () => {
    assert.deepEqual(parseRange('bytes=0-', 1000), { start: 0, end: 1000 })
    assert.deepEqual(parseRange('bytes=100-199', 1000), { start: 100, end: 200 })
    assert.deepEqual(parseRange('bytes=900-5000', 1000), { start: 900, end: 1000 })
    assert.deepEqual(parseRange('bytes=-100', 1000), { start: 900, end: 1000 })
    assert.deepEqual(parseRange('bytes=-5000', 1000), { start: 0, end: 1000 })
  })

  it('answer Safari\'s two-byte probe with exactly two bytes', () => {
    const range = parseRange('bytes=0-1', 1000)
    assert.deepEqual(range, { start: 0, end: 2 })
    assert.equal(contentRange({ start: 0, end: 2 }, 1000), 'bytes 0-1/1000')
  })

  it('serve the first of several ranges', () => {
    assert.deepEqual(parseRange('bytes=0-9, 20-29', 1000), { start: 0, end: 10 })
  })

  it('are unsatisfiable past the end, and ignored when they are not byte ranges', () => {
    assert.equal(parseRange('bytes=1000-', 1000), 'unsatisfiable')
    assert.equal(parseRange('bytes=-0', 1000), 'unsatisfiable')
    assert.equal(parseRange('bytes=0-', 0), 'unsatisfiable')
    assert.equal(parseRange(null, 1000), undefined)
    assert.equal(parseRange('items=0-1', 1000), undefined)
    assert.equal(parseRange('bytes=5-2', 1000), undefined)
    assert.equal(parseRange('bytes=-', 1000), undefined)
  })
})

describe('what a file is', () => {
  it('comes from its name', () => {
    assert.equal(typeOfName('film.WebM'), 'video/webm')
    assert.equal(typeOfName('a.b.mp4'), 'video/mp4')
    assert.equal(typeOfName('song.mp3'), 'audio/mpeg')
    assert.equal(typeOfName('notes.txt'), 'text/plain')
    assert.equal(typeOfName('README'), undefined)
    assert.equal(typeOfName(undefined), undefined)
  })

  it('or from its first bytes', () => {
    assert.equal(sniffType(bytes([0x1a, 0x45, 0xdf, 0xa3], 'xxxxwebm')), 'video/webm')
    assert.equal(sniffType(bytes([0x1a, 0x45, 0xdf, 0xa3], 'matroska')), 'video/x-matroska')
    assert.equal(sniffType(bytes([0, 0, 0, 32], 'ftypisom')), 'video/mp4')
    assert.equal(sniffType(bytes([0, 0, 0, 32], 'ftypM4A ')), 'audio/mp4')
    assert.equal(sniffType(bytes('OggS')), 'audio/ogg')
    assert.equal(sniffType(bytes('ID3')), 'audio/mpeg')
    assert.equal(sniffType(bytes('RIFF', [0, 0, 0, 0], 'WAVE')), 'audio/wav')
    assert.equal(sniffType(bytes([0x89, 0x50, 0x4e, 0x47])), 'image/png')
    assert.equal(sniffType(bytes('%PDF-1.7')), 'application/pdf')
    assert.equal(sniffType(bytes('hello\n')), 'text/plain')
    assert.equal(sniffType(bytes([0, 1, 2, 3, 0xff])), undefined)
  })

  it('is shown only when it cannot run script: HTML, SVG, XML and scripts are download-only', () => {
    for (const name of ['a.html', 'a.htm', 'a.svg', 'a.xml', 'a.xhtml', 'a.js', 'unknown']) {
      const type = typeOfName(name)
      assert.equal(type == null || !isInline(type), true, name)
      assert.equal(kindOf(type), 'other', name)
      assert.equal(servedType(type), 'application/octet-stream', name)
    }
    assert.equal(kindOf('video/webm'), 'video')
    assert.equal(kindOf('audio/ogg'), 'audio')
    assert.equal(kindOf('image/png'), 'image')
    assert.equal(kindOf('application/pdf'), 'pdf')
    assert.equal(servedType('text/plain'), 'text/plain; charset=utf-8')
  })

  it('keeps any name in its Content-Disposition', () => {
    assert.equal(contentDisposition('attachment', 'a "b" é.mp4'), 'attachment; filename="a _b_ _.mp4"; filename*=UTF-8\'\'a%20%22b%22%20%C3%A9.mp4')
  })
})

describe('where an MP4 keeps its index', () => {
  it('is at the start when moov comes before mdat', () => {
    assert.equal(mp4IndexAt(bytes(box('ftyp', 16), 'isom0000', box('moov', 8), box('mdat', 8))), 'start')
  })

  it('is at the end when mdat comes first', () => {
    assert.equal(mp4IndexAt(bytes(box('ftyp', 16), 'isom0000', box('free', 8), box('mdat', 1 << 30))), 'end')
  })

  it('is unknown when the head ends before either, or the box sizes are broken', () => {
    assert.equal(mp4IndexAt(bytes(box('ftyp', 4096), 'isom')), undefined)
    assert.equal(mp4IndexAt(bytes(box('ftyp', 3), 'isom0000')), undefined)
    assert.equal(mp4IndexAt(new Uint8Array()), undefined)
  })
})

describe('stream URLs', () => {
  it('name a file and the tab that serves it, and read back', () => {
    const url = streamUrl('stream', 'bafyabc', 'a film #1.webm', 'tab-1')
    assert.equal(url, '/weft-stream/bafyabc/a%20film%20%231.webm?tab=tab-1')
    assert.deepEqual(parseStreamUrl(new URL(url, 'http://x')), { mode: 'stream', cid: 'bafyabc', name: 'a film #1.webm', tab: 'tab-1' })
    assert.deepEqual(parseStreamUrl(new URL(streamUrl('download', 'bafyabc', 'x.bin'), 'http://x')), { mode: 'download', cid: 'bafyabc', name: 'x.bin' })
  })

  it('without a name are named by their CID; other paths are none of the worker\'s', () => {
    assert.deepEqual(parseStreamUrl(new URL('http://x/weft-stream/bafyabc')), { mode: 'stream', cid: 'bafyabc', name: 'bafyabc' })
    assert.equal(parseStreamUrl(new URL('http://x/weft-stream/')), undefined)
    assert.equal(parseStreamUrl(new URL('http://x/ipfs/bafyabc')), undefined)
    assert.equal(parseStreamUrl(new URL('http://x/weft/bootstrap.json')), undefined)
  })
})
