// The figures whose subject weft does not have yet (put/get, the block store,
// the page's transfer protocol). They print "not built yet" rather than a
// number, and name what they will measure, so the table shows the gap.
import { NOT_BUILT, type Section } from './report.js'
import type { BundleSize } from './bundle.js'

/** Item 3: put of 256 MiB until quorum on 5 servers. */
export function putSection (): Section {
  return {
    id: 'put',
    title: '3. Put 256 MiB until every block has its write quorum on 5 servers (s)',
    columns: ['system', 'seconds median (min–max)', 'MiB/s'],
    rows: [['weft put', NOT_BUILT, '–']],
    data: { status: NOT_BUILT }
  }
}

/** Item 5: memory of a fetcher and of an idle server. */
export function memorySection (): Section {
  return {
    id: 'memory',
    title: '5. Memory (peak RSS, MB)',
    note: 'The baselines\' fetcher peak RSS is in the transfer tables; run with `--sizes 16,256,1024` to see how it grows with file size.',
    columns: ['what', 'value', 'target'],
    rows: [
      ['weft fetcher getting 1 GiB', NOT_BUILT, '< 300 MB, flat in file size'],
      ['weft fetcher getting 256 MiB (for the slope)', NOT_BUILT, 'same as 1 GiB'],
      ['idle weft server holding 10,000 blocks', NOT_BUILT, '–']
    ],
    data: { status: NOT_BUILT }
  }
}

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
