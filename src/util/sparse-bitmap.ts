// A bit per index (MSB-first within a byte, as F2FS's SIT maps) whose memory follows the bits set, not the range:
// 4 KiB chunks allocated on first set, so a scan of a 16 TiB volume's mostly empty main area stays small.

const CHUNK_BYTES = 4096;
const CHUNK_BITS = CHUNK_BYTES * 8;

export class SparseBitmap {
  private readonly chunks = new Map<number, Buffer>();

  constructor(readonly bits: number) {}

  test(n: number): boolean {
    const c = this.chunks.get(Math.floor(n / CHUNK_BITS));
    const i = n % CHUNK_BITS;
    return c !== undefined && (c[i >> 3] & (0x80 >> (i & 7))) !== 0;
  }

  set(n: number): void {
    const i = n % CHUNK_BITS;
    this.chunk(Math.floor(n / CHUNK_BITS))[i >> 3] |= 0x80 >> (i & 7);
  }

  clear(n: number): void {
    const c = this.chunks.get(Math.floor(n / CHUNK_BITS));
    const i = n % CHUNK_BITS;
    if (c) c[i >> 3] &= ~(0x80 >> (i & 7));
  }

  /** ORs `src` in at bit `n` (a multiple of 8, `src` not crossing a chunk); all-zero sources allocate nothing. */
  orBytes(n: number, src: Buffer): void {
    if (!src.some((b) => b !== 0)) return;
    const c = this.chunk(Math.floor(n / CHUNK_BITS));
    const at = (n % CHUNK_BITS) >> 3;
    for (let j = 0; j < src.length; j++) c[at + j] |= src[j];
  }

  /** A copy of `len` bytes from bit `n` (a multiple of 8, not crossing a chunk). */
  bytesAt(n: number, len: number): Buffer {
    const c = this.chunks.get(Math.floor(n / CHUNK_BITS));
    const at = (n % CHUNK_BITS) >> 3;
    return c ? Buffer.from(c.subarray(at, at + len)) : Buffer.alloc(len);
  }

  /** Set bits in ascending order. */
  *ones(): Generator<number> {
    for (const k of [...this.chunks.keys()].sort((a, b) => a - b)) {
      const c = this.chunks.get(k)!;
      for (let j = 0; j < CHUNK_BYTES; j++) {
        if (!c[j]) continue;
        for (let b = 0; b < 8; b++) if (c[j] & (0x80 >> b)) yield k * CHUNK_BITS + j * 8 + b;
      }
    }
  }

  private chunk(k: number): Buffer {
    let c = this.chunks.get(k);
    if (!c) {
      c = Buffer.alloc(CHUNK_BYTES);
      this.chunks.set(k, c);
    }
    return c;
  }
}
