// The block-device contract shared by the file-backed and in-memory devices; knows nothing of F2FS.

export const BLOCK_SIZE = 4096;

export interface IoStats {
  blocksRead: number; // pages read from the backing store (cache misses)
  blocksWritten: number; // pages written to the backing store
  flushes: number; // flush barriers issued
  cacheHits: number;
}

/** One entry of the write trace: what the device was asked to do, in order. */
export type TraceEvent =
  | { op: 'write'; blkaddr: number; tag: string }
  | { op: 'flush'; tag: string };

export interface BlockDevice {
  /** Device size in 4 KiB blocks. */
  readonly blockCount: number;
  readonly readOnly: boolean;
  readonly stats: IoStats;
  /** Writes queued and not yet behind a flush (what a power cut would lose). */
  readonly pendingCount: number;
  /**
   * The current content of a block (the pending write if one is queued).
   * The returned buffer is shared with the cache: callers must not mutate it.
   */
  readBlock(blkaddr: number): Buffer;
  /**
   * Copies `count` consecutive blocks into `out` at byte `outOff`: pending and cached blocks from memory, the others
   * straight from the store in as few reads as possible and not cached (streaming reads of file data).
   */
  readBlocks(blkaddr: number, count: number, out: Buffer, outOff: number): void;
  /** Queues a block write (copied); it reaches the backing store at the next flush, in queue order. `tag` labels it for traces. */
  writeBlock(blkaddr: number, data: Buffer, tag?: string): void;
  /**
   * writeBlock without the copy: the caller hands `data` over and never touches it again (bulk data writeback).
   * A page from allocPages goes back to the allocator once flushed: a buffer readBlock returned for it is only
   * good until the next flush.
   */
  adoptBlock(blkaddr: number, data: Buffer, tag?: string): void;
  /** Barrier: writes back every queued block in order, then makes them durable. */
  flush(tag?: string): void;
  /** Drops every queued write without writing it: a power cut. */
  discardPending(): void;
  /** Starts or stops recording writes and flushes (for --trace-io and crash exploration). */
  trace: TraceEvent[] | null;
  close(): void;
}
