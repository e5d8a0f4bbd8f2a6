/**
 * Errors that mean a peer could not be reached at all: no connection could
 * be made (refused, no address, dial failed or timed out). A stream that
 * failed on a working connection (a reset, a time-out waiting behind other
 * traffic on a busy server) is not such a sign, and a server is not left out
 * of replica sets for it.
 */
const DIAL_FAILURES = new Set(['DialError', 'ConnectionFailedError', 'NoValidAddressesError', 'DialDeniedError', 'ConnectionDeniedError', 'TransportUnavailableError'])

/** Whether `err` says the peer could not be reached (see DIAL_FAILURES). */
export function unreachable (err: unknown): boolean {
  const { name, code } = (err ?? {}) as { name?: string, code?: string }
  return (name != null && DIAL_FAILURES.has(name)) || code === 'ECONNREFUSED'
}
