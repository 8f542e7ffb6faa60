// A device that forwards to another and records every write (with its data) and flush in order, for crash replay.
import type { BlockDevice, IoStats, TraceEvent } from './types.js';

export type RecordedOp = { op: 'write'; blkaddr: number; data: Buffer; tag: string } | { op: 'flush'; tag: string };

export class RecordingDevice implements BlockDevice {
  readonly log: RecordedOp[] = [];

  constructor(private readonly inner: BlockDevice) {}

  get blockCount(): number {
    return this.inner.blockCount;
  }
  get readOnly(): boolean {
    return this.inner.readOnly;
  }
  get stats(): IoStats {
    return this.inner.stats;
  }
  get pendingCount(): number {
    return this.inner.pendingCount;
  }
  get trace(): TraceEvent[] | null {
    return this.inner.trace;
  }
  set trace(t: TraceEvent[] | null) {
    this.inner.trace = t;
  }

  readBlock(blkaddr: number): Buffer {
    return this.inner.readBlock(blkaddr);
  }

  readBlocks(blkaddr: number, count: number, out: Buffer, outOff: number): void {
    this.inner.readBlocks(blkaddr, count, out, outOff);
  }

  writeBlock(blkaddr: number, data: Buffer, tag = 'data'): void {
    this.inner.writeBlock(blkaddr, data, tag);
    this.log.push({ op: 'write', blkaddr, data: Buffer.from(data), tag });
  }

  adoptBlock(blkaddr: number, data: Buffer, tag = 'data'): void {
    this.inner.adoptBlock(blkaddr, data, tag);
    this.log.push({ op: 'write', blkaddr, data: Buffer.from(data), tag });
  }

  flush(tag = 'flush'): void {
    this.inner.flush(tag);
    this.log.push({ op: 'flush', tag });
  }

  discardPending(): void {
    this.inner.discardPending();
    // A power cut: writes not yet behind a flush never happened.
    let last = this.log.length;
    while (last > 0 && this.log[last - 1].op === 'write') last--;
    this.log.length = last;
  }

  close(): void {
    this.inner.close();
  }
}
