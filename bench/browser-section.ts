// Item 6 as tables: the page's transfers (bench/browser-transfer.ts) and the
// size of its bundle (bench/bundle.ts).
import { multiaddr } from '@multiformats/multiaddr'
import { formatSummary, type Section } from './report.js'
import type { PageFigure } from './browser-transfer.js'
import type { BundleSize } from './bundle.js'

/**
 * The protocols of a remote address without hosts, ports, hashes or ids
 * (`/ip4/udp/webrtc-direct/certhash/p2p`): the path the file came over.
 */
export function addressShape (addr: string): string {
  try {
    return '/' + multiaddr(addr).getComponents().map(c => c.name).join('/')
  } catch {
    return addr
  }
}

/** A weft row's median over its transport's reference stream's, if both were measured. */
function vsStream (f: PageFigure, figures: PageFigure[]): string {
  if (f.what === 'stream') return f.throughput != null ? '1.00× (the limit)' : '–'
  const limit = figures.find(g => g.what === 'stream' && g.transport === f.transport)
  if (f.throughput == null || limit?.throughput == null) return '–'
  return `${(f.throughput.median / limit.throughput.median).toFixed(2)}×`
}

/** Item 6's transfers. */
export function pageTransferSection (figures: PageFigure[], runs: { warmups: string, counted: number }): Section {
  const mib = (bytes: number): string => `${bytes / 2 ** 20} MiB`
  return {
    id: 'browser-transfer',
    title: '6. Browser: a page gets a file (MiB/s, until every byte is hashed in the page)',
    note: 'A headless Chromium opens the page a weft server process serves (the bundle dist/web/weft.js); the page\'s node joins through that server ' +
      '(page ← server: over the one transport named, the server holding every block; page ← page: page A shared the file only from its tab, ' +
      'page B dialled A\'s /p2p-circuit/webrtc address, the server only relays the signalling). libp2p one stream: the same server writes the file ' +
      'into one stream on the page\'s connection, the limit of the stack weft runs on. The clock runs in the fetching page from the call of ' +
      '`get` (or the stream\'s opening) until every chunk arrived and its SHA-256 (WebCrypto) was done; every chunk\'s hash is then checked against the file. It includes the ' +
      'get\'s start-up (the root\'s lookups, up to the first byte); "after the first byte" leaves it out. The fetching page caches what it gets in ' +
      `IndexedDB, as pages do (in memory: a fresh incognito-like context per run). ${runs.warmups}, then ${runs.counted} counted run(s) per row. ` +
      'Transport: the protocols of the connection the file came over (every direct connection to the holder is checked after every run).',
    columns: ['row', 'bytes', 'MiB/s median (min–max)', 'vs libp2p one stream', 'MiB/s after the first byte', 'first byte ms', 'runs', 'transport (remote address)', 'B dials A ms (attempts)'],
    rows: figures.map(f => f.throughput == null
      ? [f.row, mib(f.size), `failed: ${f.error ?? ''}`, '–', '–', '–', '–', f.transport, '–']
      : [
          f.row,
          mib(f.size),
          formatSummary(f.throughput, 1),
          vsStream(f, figures),
          formatSummary(f.afterFirstByte, 1),
          formatSummary(f.firstByteMs),
          String(f.throughput.runs.length),
          f.remoteAddr != null ? `\`${addressShape(f.remoteAddr)}\`` : f.transport,
          f.dialMs != null ? `${formatSummary(f.dialMs)} (${(f.dialAttempts ?? []).join(', ')})` : '–'
        ]),
    data: figures
  }
}

/** Item 6's bundle size. */
export function bundleSection (bundle: BundleSize): Section {
  const kib = (n?: number): string => n == null ? '–' : `${(n / 1024).toFixed(0)} KiB`
  return {
    id: 'browser-bundle',
    title: '6. Browser: the page\'s bundle',
    columns: ['what', 'size'],
    rows: [
      [`${bundle.file}, minified`, bundle.error ?? kib(bundle.minBytes)],
      [`${bundle.file}, min + gzip`, bundle.error ?? kib(bundle.gzipBytes)]
    ],
    data: bundle
  }
}
