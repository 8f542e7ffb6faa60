// Args, flags and parsers shared by the inspection commands: numbers (decimal or 0x hex), FILESPECs, dump.f2fs-style ranges.
import { Args, Flags } from '@oclif/core';
import { F2fsError } from '../errors.js';

/** A block address, nid, inode number or block index: decimal or 0x-prefixed hex, >= 0. */
export function parseNumber(text: string, what: string): number {
  const t = text.trim();
  const n = /^0x[0-9a-f]+$/i.test(t) ? Number.parseInt(t.slice(2), 16) : /^\d+$/.test(t) ? Number(t) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new F2fsError('USAGE', `${what}: '${text}' is not a number (decimal or 0x hex)`);
  return n;
}

/** A numeric positional (decimal or 0x hex); `multiple` makes it variadic (icheck BLKADDR...). */
export const numberArg = Args.custom<number>({ parse: async (input: string, _ctx, opts) => parseNumber(input, opts.name ?? 'argument') });

/** Args naming something inside the image: on a terminal, a missing one is asked for with the file picker. */
const inImageArgs = new WeakSet<object>();

/** Marks `arg` as naming something inside the image (see inImageArgs). */
export function inImage<A extends object>(arg: A): A {
  inImageArgs.add(arg);
  return arg;
}

export const isInImage = (arg: object): boolean => inImageArgs.has(arg);

/** A FILESPEC positional: an absolute path, or `<ino>`. */
export const filespecArg = (description = 'path in the image, or <ino>') => inImage(Args.string({ description, required: true }));

/** A path in the image (absolute, or relative to the root) for a mutating command. */
export const pathArg = (description = 'path in the image') => inImage(Args.string({ description, required: true }));

/** Half-open range [start, end) of a table, parsed from dump.f2fs's `A~B` syntax. */
export interface TableRange {
  start: number;
  /** Exclusive; `limit` when the spec said -1 or left the end out. */
  end: number;
}

/**
 * `A~B` as dump.f2fs takes it: from A up to B exclusive, B = -1 (or empty) meaning the end of the table;
 * a single `A` means just A. Undefined gives the whole table [0, limit).
 */
export function parseRange(spec: string | undefined, limit: number, what: string): TableRange {
  if (spec === undefined) return { start: 0, end: limit };
  const m = /^\s*(0x[0-9a-f]+|\d+)\s*(?:~\s*(-1|0x[0-9a-f]+|\d+)?\s*)?$/i.exec(spec);
  if (!m) throw new F2fsError('USAGE', `--range: '${spec}' is not A, A~B or A~-1`);
  const start = parseNumber(m[1], '--range');
  const single = !spec.includes('~');
  const end = single ? start + 1 : m[2] === undefined || m[2] === '-1' ? limit : parseNumber(m[2], '--range');
  if (start >= limit) throw new F2fsError('USAGE', `--range: ${what} ${start} is past the last one (${limit - 1})`);
  if (end < start) throw new F2fsError('USAGE', `--range: end ${end} is before start ${start}`);
  // dump.f2fs's end is exclusive: an empty range printing nothing would look like an empty table.
  if (end === start) throw new F2fsError('USAGE', `--range: ${spec.trim()} is empty, the end is excluded (${start} or ${start}~${start + 1} is ${what} ${start} alone)`);
  return { start, end: Math.min(end, limit) };
}

export const rangeFlag = (what: string) =>
  Flags.string({ description: `Only ${what} from A to B (B excluded), like dump.f2fs: A, A~B, A~-1 (to the end).`, helpValue: 'A~B' });

/** A byte count with an optional binary suffix: 4096, 64K, 256M, 9G, 1T (also KiB/MB forms; all powers of 1024). */
export function parseSize(text: string, what: string): number {
  const m = /^\s*(\d+)\s*(?:([kmgtp])(?:i?b)?|b)?\s*$/i.exec(text);
  const mult = m?.[2] ? 1024 ** ('kmgtp'.indexOf(m[2].toLowerCase()) + 1) : 1;
  const n = m ? Number(m[1]) * mult : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new F2fsError('USAGE', `${what}: '${text}' is not a size (bytes, or with a K, M, G or T suffix)`);
  return n;
}

/** Permission bits in octal: 644, 0755, 4755. */
export function parseMode(text: string, what = 'mode'): number {
  if (!/^\s*[0-7]{1,5}\s*$/.test(text) || Number.parseInt(text, 8) > 0o7777) {
    throw new F2fsError('USAGE', `${what}: '${text}' is not an octal mode (e.g. 644, 0755, 4755)`);
  }
  return Number.parseInt(text, 8);
}

/** A time as epoch seconds (`1700000000`, `1700000000.25`) or ISO 8601 (`2024-01-02T03:04:05Z`). */
export function parseTime(text: string, what: string): { sec: number; nsec: number } {
  const t = text.trim();
  const epoch = /^(\d+)(?:\.(\d{1,9}))?$/.exec(t);
  if (epoch) {
    const sec = Number(epoch[1]);
    if (Number.isSafeInteger(sec)) return { sec, nsec: Number((epoch[2] ?? '').padEnd(9, '0')) };
  } else if (/^\d{4}-\d\d-\d\d/.test(t)) {
    const ms = Date.parse(t);
    if (Number.isFinite(ms) && ms >= 0) {
      // Date keeps milliseconds: take finer digits from the text when given.
      const frac = /T\d\d:\d\d:\d\d\.(\d+)/.exec(t)?.[1];
      return { sec: Math.floor(ms / 1000), nsec: frac ? Number(frac.slice(0, 9).padEnd(9, '0')) : (ms % 1000) * 1e6 };
    }
  }
  throw new F2fsError('USAGE', `${what}: '${text}' is not a time (epoch seconds, or ISO 8601 like 2024-01-02T03:04:05Z)`);
}

/** `UID`, `UID:GID` or `:GID`, numeric (u32). */
export function parseOwner(text: string): { uid?: number; gid?: number } {
  const m = /^\s*(\d+)?(?::(\d+))?\s*$/.exec(text);
  const uid = m?.[1] === undefined ? undefined : Number(m[1]);
  const gid = m?.[2] === undefined ? undefined : Number(m[2]);
  const ok = (n: number | undefined) => n === undefined || n <= 0xffffffff;
  if (!m || (uid === undefined && gid === undefined) || !ok(uid) || !ok(gid)) {
    throw new F2fsError('USAGE', `owner: '${text}' is not UID, UID:GID or :GID (numbers below 2^32)`);
  }
  return { uid, gid };
}
