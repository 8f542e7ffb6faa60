// Linux's utf8-12.1.0 NFDICF normalizer (fs/unicode/utf8-norm.c, utf8-core.c): the byte cursor that decomposes,
// case-folds and canonically orders a name, over the generated per-code-point data of ./utf8data.ts.
// The cursor is the kernel's own state machine, so its edge cases hold too: invalid UTF-8 (overlong, surrogates,
// past U+10FFFF, cut short) fails, ignorables vanish but still stop the combining-class reordering, and a stray
// continuation byte after a valid character is passed through as the kernel's cursor does.
import { CCC, NFDICF } from './utf8data.js';

/** A trie leaf: the combining class, or a decomposition (NUL-terminated UTF-8) with ccc DECOMPOSE. */
interface Leaf {
  ccc: number;
  dec: Uint8Array | null;
}

const STOPPER = 0;
const MAXCCC = 254;
const MINCCC = 0;

/* Hangul syllables decompose algorithmically (utf8hangul). */
const SB = 0xac00;
const LB = 0x1100;
const VB = 0x1161;
const TB = 0x11a7;
const TC = 28;
const NC = 21 * TC;
const SC = 19 * NC;

function encode(cps: number[]): Uint8Array {
  return new Uint8Array([...Buffer.from(String.fromCodePoint(...cps), 'utf8'), 0]);
}

let tables: { ccc: Map<number, number>; dec: Map<number, Uint8Array> } | null = null;

function load(): NonNullable<typeof tables> {
  const ccc = new Map<number, number>();
  const dec = new Map<number, Uint8Array>();
  const each = (text: string, fn: (cp: number, val: string) => void) => {
    for (const item of text.split(',')) {
      const colon = item.indexOf(':');
      const [a, b] = item.slice(0, colon).split('-');
      const first = parseInt(a, 16);
      const last = b === undefined ? first : parseInt(b, 16);
      for (let cp = first; cp <= last; cp++) fn(cp, item.slice(colon + 1));
    }
  };
  each(CCC, (cp, v) => ccc.set(cp, parseInt(v, 16)));
  each(NFDICF, (cp, v) => dec.set(cp, encode(v ? v.split(' ').map((h) => parseInt(h, 16)) : [])));
  return { ccc, dec };
}

const leafCache = new Map<number, Leaf>();

function leafOf(cp: number): Leaf {
  let leaf = leafCache.get(cp);
  if (leaf) return leaf;
  tables ??= load();
  if (cp >= SB && cp < SB + SC) {
    const si = cp - SB;
    const ti = si % TC;
    leaf = { ccc: 0, dec: encode(ti ? [LB + Math.floor(si / NC), VB + Math.floor((si % NC) / TC), TB + ti] : [LB + Math.floor(si / NC), VB + Math.floor((si % NC) / TC)]) };
  } else {
    const dec = tables.dec.get(cp);
    leaf = { ccc: dec ? 0 : (tables.ccc.get(cp) ?? 0), dec: dec ?? null };
  }
  leafCache.set(cp, leaf);
  return leaf;
}

/**
 * utf8nlookup: the leaf of the UTF-8 sequence at `buf[i]`, reading at most `len` bytes (Infinity inside a
 * decomposition), or null when it is not a well-formed sequence of a Unicode scalar value (what the trie encodes).
 */
function lookup(buf: Uint8Array, i: number, len: number): Leaf | null {
  if (len === 0) return null;
  const c = buf[i];
  if (c < 0x80) return leafOf(c);
  let n: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) n = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c === 0xe0) lo = 0xa0;
    if (c === 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c === 0xf0) lo = 0x90;
    if (c === 0xf4) hi = 0x8f;
  } else return null;
  if (len < n || i + n > buf.length) return null;
  let cp = c & (0xff >> (n + 1));
  for (let k = 1; k < n; k++) {
    const b = buf[i + k];
    if (k === 1 ? b < lo || b > hi : (b & 0xc0) !== 0x80) return null;
    cp = (cp << 6) | (b & 0x3f);
  }
  return leafOf(cp);
}

/** utf8clen: the length of the sequence a lead byte starts (assumed valid). */
const clen = (c: number) => 1 + (c >= 0xc0 ? 1 : 0) + (c >= 0xe0 ? 1 : 0) + (c >= 0xf0 ? 1 : 0);

/** struct utf8cursor over the NFDICF table: `s` reads `buf` (the name, or a decomposition while `p` is set). */
class Cursor {
  private buf: Uint8Array;
  private s = 0;
  private p: number | null = null;
  private sbuf: Uint8Array;
  private ss: number | null = null;
  private sp: number | null = null;
  private slen = 0;
  private ccc = STOPPER;
  private nccc = STOPPER;

  constructor(
    private readonly name: Uint8Array,
    private len: number,
  ) {
    this.buf = this.sbuf = name;
  }

  private at(): number {
    return this.s < this.buf.length ? this.buf[this.s] : 0;
  }

  private enterInput(): void {
    this.buf = this.name;
  }

  /** utf8byte: the next byte of the normalized name, 0 at its end, -1 on invalid input. */
  next(): number {
    for (;;) {
      let ccc: number;
      if (this.p !== null && this.at() === 0) {
        this.enterInput();
        this.s = this.p;
        this.p = null;
      }
      mismatch: {
        if (this.p === null && (this.len === 0 || this.at() === 0)) {
          if (this.ccc === STOPPER) return 0;
          ccc = STOPPER;
          break mismatch;
        } else if ((this.at() & 0xc0) === 0x80) {
          if (this.p === null) this.len--;
          return this.buf[this.s++];
        }
        let leaf = lookup(this.buf, this.s, this.p !== null ? Infinity : this.len);
        if (!leaf) return -1;
        ccc = leaf.ccc;
        if (leaf.dec) {
          const w = clen(this.buf[this.s]);
          this.len -= w;
          this.p = this.s + w;
          this.buf = leaf.dec;
          this.s = 0;
          if (this.at() === 0) {
            if (this.ccc === STOPPER) continue;
            ccc = STOPPER;
            break mismatch;
          }
          leaf = lookup(this.buf, this.s, Infinity);
          if (!leaf) return -1;
          ccc = leaf.ccc;
        }
        if (ccc !== STOPPER && this.ccc < ccc && ccc < this.nccc) this.nccc = ccc;
        if (ccc === this.ccc) {
          if (this.p === null) this.len--;
          return this.buf[this.s++];
        }
      }
      // Current combining class mismatch.
      if (this.nccc === STOPPER) {
        // Scan forward for the first class to emit; remember where to restart.
        this.ccc = MINCCC - 1;
        this.nccc = ccc;
        this.sp = this.p;
        this.ss = this.s;
        this.sbuf = this.buf;
        this.slen = this.len;
        if (this.p === null) this.len -= clen(this.at());
        this.s += clen(this.at());
      } else if (ccc !== STOPPER) {
        if (this.p === null) this.len -= clen(this.at());
        this.s += clen(this.at());
      } else if (this.nccc !== MAXCCC + 1) {
        // At a stopper: restart for the next class.
        this.ccc = this.nccc;
        this.nccc = MAXCCC + 1;
        this.s = this.ss!;
        this.buf = this.sbuf;
        this.p = this.sp;
        this.len = this.slen;
      } else {
        this.ccc = STOPPER;
        this.nccc = STOPPER;
        this.sp = null;
        this.ss = null;
        this.slen = 0;
      }
    }
  }
}

/** utf8ncursor: null when the name starts with a continuation byte. */
function cursor(name: Uint8Array): Cursor | null {
  if (name.length > 0 && (name[0] & 0xc0) === 0x80) return null;
  return new Cursor(name, name.length);
}

/**
 * utf8_casefold: the NFDICF form of `name`, or null (-EINVAL) when it is not valid UTF-8 or its folded form does
 * not fit `dlen` bytes with the terminating NUL (f2fs passes F2FS_NAME_LEN).
 */
export function utf8Casefold(name: Uint8Array, dlen = Infinity): Buffer | null {
  const cur = cursor(name);
  if (!cur) return null;
  const out: number[] = [];
  while (out.length < dlen) {
    const c = cur.next();
    if (c < 0) return null;
    if (c === 0) return Buffer.from(out);
    out.push(c);
  }
  return null;
}

/** utf8_strncasecmp_folded: 0 when `name` folds to exactly `cf`, 1 when not, -1 when `name` is not valid UTF-8. */
export function utf8StrncasecmpFolded(cf: Uint8Array, name: Uint8Array): number {
  const cur = cursor(name);
  if (!cur) return -1;
  for (let i = 0; ; i++) {
    const c1 = cur.next();
    const c2 = i < cf.length ? cf[i] : 0;
    if (c1 < 0) return -1;
    if (c1 !== c2) return 1;
    if (c1 === 0) return 0;
  }
}
