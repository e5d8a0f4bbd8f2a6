/**
 * Why a block is kept. A block has the strongest reason any holder gave it:
 * `pinned` (part of a pinned DAG: the node's own uploads) > `replica` (pushed
 * to us over the store protocol because we are among the closest servers to
 * it) > `cache` (fetched in passing; first to go when space is needed).
 */
export type BlockRole = 'pinned' | 'replica' | 'cache'
