// A copy-on-write view of another device: reads fall through to it, writes stay in memory and are dropped at close.
// What-if runs (recover --dry-run) take the real code path on it and leave the device below untouched.
import { CachedDevice } from './page-cache.js';
import { BLOCK_SIZE, type BlockDevice } from './types.js';

export class OverlayDevice extends CachedDevice {
  /** Blocks written through the overlay (fresh copies, never mutated). */
  private readonly written = new Map<number, Buffer>();

  /** `base` is only read (its pending writes included) and stays open. */
  constructor(private readonly base: BlockDevice) {
    super(base.blockCount, false, 0);
  }

  /** Blocks the overlay holds: what the run would have written. */
  get writtenCount(): number {
    return this.written.size;
  }

  protected readRawInto(blkaddr: number, count: number, out: Buffer, off: number): void {
    for (let i = 0; i < count; i++) {
      const page = this.written.get(blkaddr + i) ?? this.base.readBlock(blkaddr + i);
      page.copy(out, off + i * BLOCK_SIZE);
    }
  }

  protected writeRaw(blkaddr: number, blocks: Buffer[]): void {
    blocks.forEach((b, i) => this.written.set(blkaddr + i, Buffer.from(b)));
  }

  protected syncRaw(): void {}

  protected closeRaw(): void {
    this.written.clear();
  }
}
