// manifest IMAGE [PATH]: one line per entry (type, mode, owner, size, time, link target, device, digest; xattrs in
// JSON), as BSD mtree the way libarchive writes it (bsdtar --format=mtree), so that `mtree -f` or bsdtar can check a
// tree extracted from the image, or a host tree, against it. A generator: lines are produced as the walk goes.
import { fail } from '../errors.js';
import { fileDigest } from './extract.js';
import { resolveFile } from './filespec.js';
import type { Volume } from '../fs/volume.js';
import { timeText } from './time.js';
import { entryAttrs, walkSorted, xattrText, type EntryAttrs, type EntryTime } from './entry.js';

export const MANIFEST_FORMATS = ['mtree', 'json'] as const;
export const MANIFEST_DIGESTS = ['sha256', 'md5', 'none'] as const;
export type ManifestFormat = (typeof MANIFEST_FORMATS)[number];
export type ManifestDigest = (typeof MANIFEST_DIGESTS)[number];

export interface ManifestOptions {
  /** Subtree to list (default /); its own entry is `.`. */
  path?: string;
  format?: ManifestFormat;
  digest?: ManifestDigest;
}

/** One entry in the json format (one JSON object per line). */
export interface ManifestEntry {
  path: string;
  type: string;
  mode: string;
  uid: number;
  gid: number;
  nlink: number;
  size: number | string;
  atime: string;
  mtime: string;
  ctime: string;
  link?: string;
  device?: { major: number; minor: number };
  xattrs?: { name: string; value: string }[];
  sha256?: string;
  md5?: string;
}

/** mtree type= keywords by our type names. */
const MTREE_TYPE: Record<string, string> = { regular: 'file', directory: 'dir', symlink: 'link', chrdev: 'char', blkdev: 'block', fifo: 'fifo', socket: 'socket' };

/** libarchive's mtree_quote: bytes outside printable ASCII, space, '#', '=' and '\' as a backslash and 3 octal digits. */
export function mtreeQuote(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    out += b <= 0x20 || b >= 0x7f || b === 0x23 || b === 0x3d || b === 0x5c ? `\\${b.toString(8).padStart(3, '0')}` : String.fromCharCode(b);
  }
  return out;
}

/** libarchive writes `sec.0` for whole seconds, else `sec.nnnnnnnnn`. */
const mtreeTime = (t: EntryTime) => `${t.sec}.${t.nsec ? String(t.nsec).padStart(9, '0') : '0'}`;

/** One entry as libarchive's mtree writer orders its keywords (nlink, time, mode, gid, uid, type, link/device, size, digest). */
function mtreeLine(rel: string, e: EntryAttrs, digest: string | null, algorithm: ManifestDigest): string {
  const kw = [`.${mtreeQuote(rel)}`];
  if (e.links !== 1 && e.type !== 'directory') kw.push(`nlink=${e.links}`);
  kw.push(`time=${mtreeTime(e.mtime)}`, `mode=${e.perm.toString(8)}`, `gid=${e.gid}`, `uid=${e.uid}`, `type=${MTREE_TYPE[e.type] ?? 'file'}`);
  if (e.target !== null) kw.push(`link=${mtreeQuote(e.target)}`);
  if (e.device) kw.push(`device=native,${e.device.major},${e.device.minor}`);
  if (e.type === 'regular') kw.push(`size=${e.size}`);
  if (digest) kw.push(`${algorithm}digest=${digest}`);
  return kw.join(' ');
}

function jsonEntry(rel: string, e: EntryAttrs, digest: string | null, algorithm: ManifestDigest): ManifestEntry {
  const out: ManifestEntry = {
    path: `.${rel}`,
    type: e.type,
    mode: e.perm.toString(8).padStart(4, '0'),
    uid: e.uid,
    gid: e.gid,
    nlink: e.links,
    size: e.size,
    atime: timeText(e.atime),
    mtime: timeText(e.mtime),
    ctime: timeText(e.ctime),
  };
  if (e.target !== null) out.link = e.target;
  if (e.device) out.device = e.device;
  if (e.xattrs.length) out.xattrs = e.xattrs.map((x) => ({ name: x.name, value: xattrText(x.value) }));
  if (digest && algorithm !== 'none') out[algorithm] = digest;
  return out;
}

/** The manifest of PATH, line by line (mtree: the `#mtree` header first). */
export function* manifestLines(vol: Volume, opts: ManifestOptions = {}): Generator<string> {
  const format = opts.format ?? 'mtree';
  const algorithm = opts.digest ?? 'sha256';
  if (!MANIFEST_FORMATS.includes(format)) fail('USAGE', `unknown manifest format '${format}' (${MANIFEST_FORMATS.join(', ')})`);
  if (!MANIFEST_DIGESTS.includes(algorithm)) fail('USAGE', `unknown digest '${algorithm}' (${MANIFEST_DIGESTS.join(', ')})`);
  const start = resolveFile(vol, opts.path ?? '/', { follow: true }).ino;
  if (format === 'mtree') yield '#mtree';
  for (const { rel, info } of walkSorted(vol, start)) {
    const e = entryAttrs(vol, info);
    const digest = e.type === 'regular' && algorithm !== 'none' ? fileDigest(vol, info, algorithm) : null;
    yield format === 'mtree' ? mtreeLine(rel, e, digest, algorithm) : JSON.stringify(jsonEntry(rel, e, digest, algorithm));
  }
}
