// The shape of the DAGs weft's puts make: constants that readers and
// settings need without loading the importer (ipfs-unixfs-importer).

/**
 * Links per DAG node: @helia/unixfs's default, so that our root CIDs equal
 * Helia's (and Kubo's with the same chunker and raw leaves).
 */
export const MAX_CHILDREN_PER_NODE = 1024

/** The default chunk size (1 MiB), also Helia's. */
export const DEFAULT_CHUNK_SIZE = 1_048_576
