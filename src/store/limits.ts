/**
 * The one limit the local store enforces itself; the wire protocols build
 * their message limits on it.
 */

/** The largest block weft accepts anywhere: 1 MiB. */
export const MAX_BLOCK_BYTES = 1_048_576
