// Android build metadata: fs_config (owners, modes, capabilities) and SELinux file_contexts, read as sload.f2fs 1.15
// reads them for `import`, and written from an image by `export-android` so that sload.f2fs rebuilds the same tree.
//
// What sload.f2fs does, and so what this does (fsck/sload.c):
// - fs_config (-C) is libcutils' canned_fs_config: lines "path uid gid mode [capabilities=0x...]" (mode in octal),
//   looked up by exact path without its leading '/': the mount point (-t, nothing for "/") followed by the entry's
//   path. An entry missing from the file stops sload.f2fs ("failed to find [...] in canned fs_config"); here the import
//   is refused before it changes anything. uid and gid keep their low 16 bits, the mode its permission bits. sload.f2fs
//   applies fs_config to every entry but the root.
//   Debian's sload.f2fs is built without Android's headers and ignores -C altogether.
// - Without -C, sload.f2fs built for Android asks libcutils' fs_config() instead, with -p as the product out
//   directory whose binary override files it reads (src/debugfs/fs-config.ts); this import does that only when
//   --product-out is given (without it the host's owners and modes stay). With -C, -p is not used.
// - sload.f2fs computes the capabilities but never stores them (dir.c and segment.c only log "cap="); this import
//   stores a non-zero set as security.capability (vfs_cap_data revision 2, effective flag), as e2fsdroid does for ext4
//   images, since that is what Linux and Android read.
// - file_contexts (-s) goes through libselinux's selabel_lookup (label_file.c): lines "regex [type] context"; the regex
//   is anchored (^(...)$); specs with no regex metacharacter ("exact" paths) are moved after all the others, keeping
//   file order within each group, and the LAST matching spec of that order wins (so an exact path beats every regex,
//   and among regexes the later line wins; it is not "longest match"). A type field (--, -d, -l, -c, -b, -p, -s)
//   restricts a spec to that file type. The key is the mount point followed by the entry's path with repeated slashes
//   collapsed; the root is looked up as the mount point followed by the mount point again (sload.f2fs passes
//   c.mount_point as the root's path: "/system/system" for -t /system). The label is stored without a trailing NUL.
//   No match or "<<none>>" stops sload.f2fs; here the entry is left unlabelled and counted.
import fs from 'node:fs';
import path from 'node:path';
import { F2fsError, fail, fromHost } from '../errors.js';
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK } from '../fs/layout/dentry.js';
import { VFS_CAP_FLAGS_EFFECTIVE, VFS_CAP_REVISION_2, VFS_CAP_REVISION_3, VFS_CAP_REVISION_MASK, VfsCapData } from '../fs/layout/vfs-cap.js';
import { listXattrs, setXattr } from '../fs/xattr.js';
import type { Volume } from '../fs/volume.js';
import { walkTree } from './reverse.js';
import { fsConfigDefault, ProductOutConfig } from './fs-config.js';

export const SELINUX_XATTR = 'security.selinux';
export const CAPABILITY_XATTR = 'security.capability';

export interface FsConfigEntry {
  uid: number;
  gid: number;
  /** Permission bits (07777). */
  mode: number;
  capabilities: bigint;
}

/**
 * canned_fs_config's file: "path uid gid mode [capabilities=N]" per line (N as strtoll base 0: 0x hex, 0 octal, else
 * decimal), blank lines ignored; the leading '/' of a path is dropped, a line starting with a space is the root's,
 * and a later line for a path replaces an earlier one.
 */
export function parseFsConfig(text: string, file: string): Map<string, FsConfigEntry> {
  const out = new Map<string, FsConfigEntry>();
  text.split('\n').forEach((raw, i) => {
    const line = (raw.startsWith(' ') ? `/${raw}` : raw).trim();
    if (line === '') return;
    const bad = (why: string): never => fail('USAGE', `${file}:${i + 1}: ${why}: ${line}`);
    const [p, uid, gid, mode, ...rest] = line.split(/\s+/);
    if (mode === undefined) bad('expected "path uid gid mode [capabilities=0x...]"');
    if (!/^\d+$/.test(uid) || !/^\d+$/.test(gid)) bad('uid and gid must be decimal numbers');
    if (!/^[0-7]+$/.test(mode)) bad('mode must be octal');
    let capabilities = 0n;
    const caps = rest.find((t) => t.startsWith('capabilities='));
    if (caps !== undefined) {
      const v = caps.slice('capabilities='.length);
      if (!/^(0x[0-9a-f]+|0[0-7]*|[1-9]\d*)$/i.test(v)) bad('capabilities must be a number (0x... hex, 0... octal or decimal)');
      capabilities = BigInt(/^0[0-7]/.test(v) ? `0o${v.slice(1)}` : v);
      if (capabilities >= 1n << 64n) bad('capabilities do not fit 64 bits');
    }
    out.set(p.replace(/^\//, ''), { uid: Number(uid) & 0xffff, gid: Number(gid) & 0xffff, mode: parseInt(mode, 8) & 0o7777, capabilities });
  });
  return out;
}

const TYPE_FLAGS: Record<string, number> = { '--': S_IFREG, '-d': S_IFDIR, '-c': S_IFCHR, '-b': S_IFBLK, '-s': S_IFSOCK, '-l': S_IFLNK, '-p': S_IFIFO };
const FLAG_OF_TYPE = new Map(Object.entries(TYPE_FLAGS).map(([flag, type]) => [type, flag]));

interface ContextSpec {
  regex: RegExp;
  /** S_IFMT bits the spec is limited to, 0 for any type. */
  type: number;
  /** null for <<none>>. */
  context: string | null;
}

/** spec_hasMetaChars: a backslash escapes the next character. */
function hasMetaChars(re: string): boolean {
  for (let i = 0; i < re.length; i++) {
    if ('.^$?*+|[({'.includes(re[i])) return true;
    if (re[i] === '\\') i++;
  }
  return false;
}

/** A file_contexts file loaded for lookups as libselinux's file backend answers them. */
export class FileContexts {
  private constructor(private readonly specs: ContextSpec[]) {}

  static parse(text: string, file: string): FileContexts {
    const regexSpecs: ContextSpec[] = [];
    const exactSpecs: ContextSpec[] = [];
    text.split('\n').forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const tokens = line.split(/\s+/);
      if (tokens.length < 2 || tokens.length > 3) fail('USAGE', `${file}:${i + 1}: expected "regex [type] context": ${line}`);
      const [re, ...more] = tokens;
      const flag = more.length === 2 ? more[0] : undefined;
      const context = more[more.length - 1];
      if (flag !== undefined && TYPE_FLAGS[flag] === undefined) fail('USAGE', `${file}:${i + 1}: unknown file type '${flag}'`);
      let regex: RegExp;
      try {
        regex = new RegExp(`^(?:${re})$`);
      } catch (e) {
        throw new F2fsError('USAGE', `${file}:${i + 1}: bad regex ${re}: ${(e as Error).message}`);
      }
      const spec = { regex, type: flag === undefined ? 0 : TYPE_FLAGS[flag], context: context === '<<none>>' ? null : context };
      (hasMetaChars(re) ? regexSpecs : exactSpecs).push(spec);
    });
    return new FileContexts([...regexSpecs, ...exactSpecs]);
  }

  /** selabel_lookup: the label of `key` for a file of `mode` (null: no spec matches, or <<none>>). */
  lookup(key: string, mode: number): string | null {
    const clean = key.replace(/\/{2,}/g, '/');
    const type = mode & S_IFMT;
    for (let i = this.specs.length - 1; i >= 0; i--) {
      const s = this.specs[i];
      if ((type === 0 || s.type === 0 || s.type === type) && s.regex.test(clean)) return s.context;
    }
    return null;
  }
}

/** What an imported entry gets from the Android files. */
export interface AndroidEntry {
  /** From fs_config or the product out directory, when one was given. */
  perms?: FsConfigEntry;
  label: string | null;
}

export interface AndroidOptions {
  fsConfig?: string;
  fileContexts?: string;
  /** sload.f2fs -p: the product out directory whose fs_config_dirs/fs_config_files apply (ignored with fsConfig). */
  productOut?: string;
  /** sload.f2fs -t: the path the image is mounted at on the device (default "/"). */
  mountPoint?: string;
}

/** The two keys sload.f2fs looks an image path up by, for a mount point. */
export class AndroidPaths {
  constructor(readonly mountPoint = '/') {
    if (mountPoint === '') fail('USAGE', 'the mount point must not be empty');
  }

  /** canned_fs_config's key: the mount point ("" for "/") and the path, without the leading '/' (the root: the mount point). */
  fsConfigKey(imagePath: string): string {
    const mount = this.mountPoint === '/' ? '' : this.mountPoint;
    return (imagePath === '/' ? mount : `${mount}${imagePath}`).replace(/^\//, '');
  }

  /** selabel_lookup's key (the root: the mount point twice, as sload.f2fs passes it). */
  contextKey(imagePath: string): string {
    return `${this.mountPoint}${imagePath === '/' ? this.mountPoint : imagePath}`.replace(/\/{2,}/g, '/');
  }
}

/** The Android options of an import, loaded and checked before anything is written. */
export class AndroidImport extends AndroidPaths {
  readonly unlabelled: string[] = [];
  /** With a product out directory: the paths no override file names, given fs_config()'s defaults. */
  readonly defaulted: string[] = [];

  private constructor(
    mountPoint: string | undefined,
    private readonly fsConfig: Map<string, FsConfigEntry> | undefined,
    private readonly contexts: FileContexts | undefined,
    private readonly productOut: ProductOutConfig | undefined,
  ) {
    super(mountPoint);
  }

  static load(opts: AndroidOptions): AndroidImport | undefined {
    if (opts.fsConfig === undefined && opts.fileContexts === undefined && opts.mountPoint === undefined && opts.productOut === undefined) return undefined;
    const read = (f: string) => fromHost(() => fs.readFileSync(f, 'utf8'));
    return new AndroidImport(
      opts.mountPoint,
      opts.fsConfig === undefined ? undefined : parseFsConfig(read(opts.fsConfig), opts.fsConfig),
      opts.fileContexts === undefined ? undefined : FileContexts.parse(read(opts.fileContexts), opts.fileContexts),
      opts.productOut === undefined || opts.fsConfig !== undefined ? undefined : ProductOutConfig.load(opts.productOut),
    );
  }

  /**
   * Refuses a host tree with an entry fs_config does not list (sload.f2fs would stop there, half done), naming the
   * first few; `imagePath` is where the tree goes in the image.
   */
  checkCovers(hostDir: string, imagePath: string): void {
    if (!this.fsConfig) return;
    const missing: string[] = [];
    const walk = (host: string, at: string) => {
      for (const e of fromHost(() => fs.readdirSync(host, { withFileTypes: true }))) {
        const p = joinImagePath(at, e.name);
        if (!this.fsConfig!.has(this.fsConfigKey(p))) missing.push(this.fsConfigKey(p));
        if (e.isDirectory()) walk(path.join(host, e.name), p);
      }
    };
    walk(hostDir, imagePath);
    if (missing.length) {
      fail('ENOENT', `fs_config has no entry for ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}`, { missing: missing.length });
    }
  }

  /** What the entry at `imagePath`, of type and mode `mode`, gets. */
  entry(imagePath: string, mode: number): AndroidEntry {
    return { perms: this.fsConfig ? this.fsConfig.get(this.fsConfigKey(imagePath)) : this.productOutPerms(imagePath, mode), label: this.label(imagePath, mode) };
  }

  private productOutPerms(imagePath: string, mode: number): FsConfigEntry | undefined {
    if (!this.productOut) return undefined;
    const dir = (mode & S_IFMT) === S_IFDIR;
    const perms = this.productOut.lookup(this.fsConfigKey(imagePath), dir);
    if (perms) return perms;
    this.defaulted.push(imagePath);
    return fsConfigDefault(dir);
  }

  /** The SELinux label of `imagePath` (null without file_contexts; no match is counted as unlabelled). */
  label(imagePath: string, mode: number): string | null {
    if (!this.contexts) return null;
    const label = this.contexts.lookup(this.contextKey(imagePath), mode);
    if (label === null) this.unlabelled.push(imagePath);
    return label;
  }

  /** Stores the entry's label and capabilities as xattrs of `ino`. */
  apply(vol: Volume, ino: number, e: AndroidEntry): void {
    if (e.label !== null) setXattr(vol, ino, SELINUX_XATTR, Buffer.from(e.label));
    if (e.perms && e.perms.capabilities !== 0n) setXattr(vol, ino, CAPABILITY_XATTR, encodeCapabilities(e.perms.capabilities));
  }
}

export function joinImagePath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

/** A 64-bit capability set as vfs_cap_data revision 2, effective, no inheritable set (as e2fsdroid writes it). */
export function encodeCapabilities(caps: bigint): Buffer {
  return VfsCapData.encode({
    magic_etc: VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE,
    permitted_lo: Number(caps & 0xffffffffn),
    inheritable_lo: 0,
    permitted_hi: Number(caps >> 32n),
    inheritable_hi: 0,
  });
}

/** The permitted set of a security.capability value (revision 2 or 3); null when it is not one. */
export function decodeCapabilities(value: Buffer): bigint | null {
  if (value.length < VfsCapData.size) return null;
  const v = VfsCapData.decode(value);
  const rev = (v.magic_etc & VFS_CAP_REVISION_MASK) >>> 0;
  if (rev !== VFS_CAP_REVISION_2 && rev !== VFS_CAP_REVISION_3) return null;
  return (BigInt(v.permitted_hi) << 32n) | BigInt(v.permitted_lo);
}

/** Characters a file_contexts regex must escape to match themselves. */
const REGEX_META = /[.^$?*+|[\](){}\\]/g;

export interface AndroidExport {
  fsConfig: string;
  fileContexts: string;
  entries: number;
  labelled: number;
  withCapabilities: number;
  /** Entries neither file can name (a name with white space or a control character), and labels file_contexts cannot hold. */
  skipped: { path: string; why: string }[];
}

/** What neither file can hold in a field: white space (the field separator), line breaks and other control characters. */
const UNSPEAKABLE = /[\s\x00-\x1f\x7f]/;

/**
 * fs_config and file_contexts for the whole tree of an image, written into `outDir`: one exact line per entry, so
 * that sload.f2fs -C/-s (and our import) given rdump's copy of the tree set the same owners, modes, capabilities and
 * labels. The root has no fs_config line when the mount point is "/" (its key would be empty; sload.f2fs never looks
 * the root up there anyway).
 */
export function exportAndroid(vol: Volume, outDir: string, mountPoint = '/'): AndroidExport {
  const keys = new AndroidPaths(mountPoint);
  const config: [string, string][] = [];
  const contexts: [string, string][] = [];
  const result: AndroidExport = { fsConfig: path.join(outDir, 'fs_config'), fileContexts: path.join(outDir, 'file_contexts'), entries: 0, labelled: 0, withCapabilities: 0, skipped: [] };
  const visit = (p: string, ino: number) => {
    if (UNSPEAKABLE.test(p)) {
      result.skipped.push({ path: p, why: 'white space or a control character in the path' });
      return;
    }
    const info = vol.inode(ino);
    const { i_mode: mode, i_uid: uid, i_gid: gid } = info.inode;
    let label: string | null = null;
    let caps = 0n;
    for (const x of listXattrs(info, vol.nm)) {
      if (x.name === SELINUX_XATTR) label = x.value.toString('utf8').replace(/\0+$/, '');
      else if (x.name === CAPABILITY_XATTR) caps = decodeCapabilities(x.value) ?? 0n;
    }
    result.entries++;
    const key = keys.fsConfigKey(p);
    if (key !== '') config.push([key, `${key} ${uid} ${gid} ${(mode & 0o7777).toString(8).padStart(4, '0')} capabilities=0x${caps.toString(16)}`]);
    if (caps !== 0n) result.withCapabilities++;
    // A label is the line's last field: white space or a line break in it (an image's own xattr) would add fields or
    // whole specs of its making to file_contexts.
    if (label !== null && UNSPEAKABLE.test(label)) {
      result.skipped.push({ path: p, why: 'white space or a control character in its SELinux label: left out of file_contexts' });
      label = null;
    }
    if (label !== null && label !== '') {
      const ctxKey = keys.contextKey(p);
      const flag = FLAG_OF_TYPE.get(mode & S_IFMT);
      contexts.push([ctxKey, [ctxKey.replace(REGEX_META, '\\$&'), ...(flag ? [flag] : []), label].join(' ')]);
      result.labelled++;
    }
  };
  visit('/', vol.sb.root_ino);
  walkTree(vol, (p, d) => visit(p, d.ino));
  const byKey = (a: [string, string], b: [string, string]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  fromHost(() => fs.mkdirSync(outDir, { recursive: true }));
  fromHost(() => fs.writeFileSync(result.fsConfig, config.sort(byKey).map(([, l]) => `${l}\n`).join('')));
  fromHost(() => fs.writeFileSync(result.fileContexts, contexts.sort(byKey).map(([, l]) => `${l}\n`).join('')));
  return result;
}
