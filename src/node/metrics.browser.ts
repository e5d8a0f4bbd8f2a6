// A page has no /metrics to serve: it gets no Prometheus registry (and its
// bundle no prom-client).
import type { createNodeMetrics as NodeTwin } from './metrics.js'

export const createNodeMetrics: typeof NodeTwin = () => undefined
