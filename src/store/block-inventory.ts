/**
 * What a store of block bytes that keeps one file per block can tell the
 * block store at start: which blocks have a file and how large it is. A
 * store without it (memory, IndexedDB, whose writes are transactions) is
 * checked block by block when read instead.
 */

/** The block files found, by block key (`blockKey`), and the temporary files deleted. */
export interface BlockInventory {
  /** Size in bytes of each block file. */
  files: Map<string, number>
  /** Temporary files of writes a crash cut short, deleted while listing. */
  temporariesRemoved: number
}

export interface InventoriedBytes {
  /** Lists every block file and its size, deleting temporaries on the way; reads no block. */
  inventory: () => Promise<BlockInventory>
}
