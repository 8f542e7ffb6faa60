// Read-ahead for sequential scans of a table whose logical blocks map to device blocks in contiguous runs (the
// caller's `addrOf`): one host read per run of up to 64 blocks into a reused buffer, no cached page per block.
// A view is good until the next get() outside the window; invalidate() after the table's blocks are rewritten.
import { BLOCK_SIZE, type BlockDevice } from './types.js';

const WINDOW_BLOCKS = 64;

export class ReadWindow {
  private first = 0;
  private count = 0;
  private buf = Buffer.alloc(0);

  constructor(
    private readonly dev: BlockDevice,
    /** Device block of logical block k. */
    private readonly addrOf: (k: number) => number,
    /** Logical blocks in the table. */
    private readonly blocks: number,
  ) {}

  get(k: number): Buffer {
    if (k < this.first || k >= this.first + this.count) this.fill(k);
    return this.buf.subarray((k - this.first) * BLOCK_SIZE, (k - this.first + 1) * BLOCK_SIZE);
  }

  invalidate(): void {
    this.count = 0;
  }

  private fill(k: number): void {
    const start = this.addrOf(k);
    let n = 1;
    while (n < WINDOW_BLOCKS && k + n < this.blocks && this.addrOf(k + n) === start + n) n++;
    if (!this.buf.length) this.buf = Buffer.alloc(WINDOW_BLOCKS * BLOCK_SIZE);
    this.dev.readBlocks(start, n, this.buf, 0);
    this.first = k;
    this.count = n;
  }
}
