// The figures whose subject weft does not have yet (the page's transfer
// protocol). They print "not built yet" rather than a number, and name what
// they will measure, so the table shows the gap. (Put and memory, once slots
// here, are measured now: bench/put.ts, bench/memory.ts.)
import { NOT_BUILT, type Section } from './report.js'
import type { BundleSize } from './bundle.js'

/** Item 6: the page's transfers (not built) and its bundle size (measured). */
export function browserSection (bundle: BundleSize): Section {
  const kib = (n?: number): string => n == null ? '–' : `${(n / 1024).toFixed(0)} KiB`
  return {
    id: 'browser',
    title: '6. Browser',
    columns: ['what', 'value'],
    rows: [
      ['page ← server, 64 MiB over WebRTC-direct (MiB/s)', NOT_BUILT],
      ['page ← server, 64 MiB over WebSockets (MiB/s)', NOT_BUILT],
      ['page ← page, 64 MiB over WebRTC (MiB/s)', NOT_BUILT],
      [`bundle ${bundle.file}, minified`, bundle.error ?? kib(bundle.minBytes)],
      [`bundle ${bundle.file}, min + gzip`, bundle.error ?? kib(bundle.gzipBytes)]
    ],
    data: { transfers: NOT_BUILT, bundle }
  }
}
