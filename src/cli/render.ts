// Rendering helpers shared by every command: tables, key/value lists, hex dumps, sizes and the stable JSON form.
// Nothing here writes to a stream; commands hand the returned strings to `this.out()`.

import Table from 'cli-table3';

/** Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function useColour(stream: { isTTY?: boolean } = process.stdout): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
}

export type Cell = string | number | bigint | boolean | null | undefined;

const cellText = (c: Cell): string => (c === null || c === undefined ? '' : String(c));

export interface TableOptions {
  /** Right-align these column indexes (numbers read better right-aligned). */
  alignRight?: number[];
  /** Force colour on or off (default: useColour()). */
  colour?: boolean;
}

/**
 * A boxed table via cli-table3. cli-table3 colours head and border even into pipes and ignores NO_COLOR,
 * so the style is emptied unless colour is wanted.
 */
export function table(head: string[], rows: Cell[][], opts: TableOptions = {}): string {
  const colour = opts.colour ?? useColour();
  const t = new Table({
    head,
    style: colour ? { head: ['cyan'], border: [] } : { head: [], border: [] },
    colAligns: head.map((_, i) => (opts.alignRight?.includes(i) ? 'right' : 'left')),
  });
  for (const r of rows) t.push(r.map(cellText));
  return t.toString();
}

/**
 * Key/value list, keys padded to one column: `key   value`. Multi-line values are indented under their value column.
 * Plain text (no box) so the output greps and diffs well.
 */
export function kv(rows: [string, Cell | Cell[]][], opts: { indent?: number; gap?: number } = {}): string {
  const indent = ' '.repeat(opts.indent ?? 0);
  const gap = opts.gap ?? 2;
  const width = rows.reduce((w, [k]) => Math.max(w, k.length), 0) + gap;
  const lines: string[] = [];
  for (const [k, v] of rows) {
    const text = Array.isArray(v) ? v.map(cellText).join(', ') : cellText(v);
    const [first, ...rest] = text.split('\n');
    lines.push(`${indent}${k.padEnd(width)}${first}`.trimEnd());
    for (const line of rest) lines.push(`${indent}${' '.repeat(width)}${line}`.trimEnd());
  }
  return lines.join('\n');
}

/**
 * Text from the image (names, link targets, labels, values) may hold terminal controls: a crafted image could move the
 * cursor, rewrite a line with CR, set the title or the clipboard of the terminal it is inspected on. C0 controls but
 * tab and newline, DEL and C1 are shown as \xHH; colour (SGR) sequences, which our tables use, pass.
 */
export function escapeControls(text: string): string {
  return text.replace(/\x1b\[[0-9;]*m|[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (m) => (m.length > 1 ? m : `\\x${m.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

/** `16384 (0x4000)`: decimal then hex, for on-disk numbers. */
export function numHex(n: number | bigint): string {
  return `${n} (0x${n.toString(16)})`;
}

/** `0x00001000` zero-padded hex. */
export function hex(n: number | bigint, digits = 8): string {
  return `0x${n.toString(16).padStart(digits, '0')}`;
}

export interface HexdumpOptions {
  /** Bytes per line (xxd default 16). */
  width?: number;
  /** Collapse runs of all-zero lines into a single `*` line, like `xxd -a`. */
  skipZero?: boolean;
}

/**
 * `xxd`-style dump: `00001000: 1020 f5f2 0100 0f00 0900 0000 0300 0000  . ..............`.
 * `baseOffset` is the address printed for buf[0] (e.g. blkaddr * 4096).
 */
export function hexdump(buf: Uint8Array, baseOffset = 0, opts: HexdumpOptions = {}): string {
  const width = opts.width ?? 16;
  const lines: string[] = [];
  let skipping = false;
  const addrDigits = Math.max(8, (baseOffset + buf.length).toString(16).length);
  for (let off = 0; off < buf.length; off += width) {
    const row = buf.subarray(off, Math.min(off + width, buf.length));
    if (opts.skipZero && row.every((b) => b === 0) && off > 0 && off + width < buf.length) {
      if (!skipping) lines.push('*');
      skipping = true;
      continue;
    }
    skipping = false;
    let hexPart = '';
    let ascii = '';
    for (let i = 0; i < width; i++) {
      if (i < row.length) {
        hexPart += row[i].toString(16).padStart(2, '0');
        ascii += row[i] >= 0x20 && row[i] < 0x7f ? String.fromCharCode(row[i]) : '.';
      } else {
        hexPart += '  ';
      }
      if (i % 2 === 1 && i !== width - 1) hexPart += ' ';
    }
    lines.push(`${(baseOffset + off).toString(16).padStart(addrDigits, '0')}: ${hexPart}  ${ascii}`);
  }
  return lines.join('\n');
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** Binary human size: 512 B, 4 KiB, 1.5 MiB, 64 MiB. */
export function humanSize(bytes: number | bigint): string {
  let n = Number(bytes);
  let u = 0;
  while (Math.abs(n) >= 1024 && u < UNITS.length - 1) {
    n /= 1024;
    u++;
  }
  if (u === 0) return `${n} B`;
  const text = n >= 100 || Number.isInteger(n) ? String(Math.round(n)) : n.toFixed(1).replace(/\.0$/, '');
  return `${text} ${UNITS[u]}`;
}

/**
 * The stable JSON form of a command result: Buffer/Uint8Array become lowercase hex strings, bigint becomes a
 * decimal string (always a string, so a field's type never depends on its value), Map becomes an object,
 * Set an array, undefined fields disappear.
 */
export function toJsonValue(value: unknown): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), toJsonValue(v)]));
  if (value instanceof Set) return [...value].map(toJsonValue);
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined && typeof v !== 'function') out[k] = toJsonValue(v);
    return out;
  }
  return value;
}

/** Pretty JSON of a result in its stable form, newline-terminated. */
export function formatJson(value: unknown): string {
  return `${JSON.stringify(toJsonValue(value), null, 2)}\n`;
}

/**
 * Plain aligned columns (no box), for long listings that should grep and diff well (ls -l, NAT dumps):
 * an optional header row, cells separated by two spaces, numbers right-aligned in the columns listed.
 */
export function columns(head: string[] | null, rows: Cell[][], opts: { alignRight?: number[]; indent?: number } = {}): string {
  const indent = ' '.repeat(opts.indent ?? 0);
  const all = (head ? [head, ...rows] : rows).map((r) => r.map(cellText));
  const n = all.reduce((m, r) => Math.max(m, r.length), 0);
  const widths = Array.from({ length: n }, (_, i) => all.reduce((w, r) => Math.max(w, (r[i] ?? '').length), 0));
  return all
    .map((r) =>
      r
        .map((c, i) => {
          if (i === r.length - 1 && !opts.alignRight?.includes(i)) return c;
          return opts.alignRight?.includes(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]);
        })
        .join('  ')
        .replace(/^/, indent)
        .trimEnd(),
    )
    .join('\n');
}
