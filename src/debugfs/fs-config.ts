// libcutils' fs_config() for `import --product-out DIR` (sload.f2fs -p): the owner, mode and capabilities of an
// Android path from the binary override files of a product out directory, as libcutils/fs_config.cpp resolves them.
//
// - Files: for a path looked up as a directory, <DIR>/<partition>/etc/fs_config_dirs, else .../fs_config_files, for
//   the partitions system, vendor, oem, odm, product, system_ext in that order. DIR loses one trailing "/" and then
//   one trailing "/system" first, so DIR may name the product out directory or its system directory.
// - Match: each record's pattern is a glibc fnmatch pattern (FNM_NOESCAPE only: '*' and '?' cross '/'), tried against
//   the path without its leading '/'. For a directory the path gets a trailing '/' and the pattern "/*" (or "*" after
//   a trailing '/') unless it already ends in "/*", so a directory rule covers the directories below it too. A path
//   under system/product/, system/system_ext/, system/vendor/ or vendor/odm/ is also tried without its first
//   component when what is left names a partition (odm/, oem/, product/, system_ext/, vendor/). The first matching
//   record wins, file by file in the order above.
// - No match: root 0755 for a directory, root 0644 for anything else, no capabilities. libcutils consults its
//   compiled-in android_dirs/android_files tables before this last step; those tables are AOSP source, not
//   reproduced here, so a path only they name gets the defaults (give such paths a rule in the override files, or
//   use --fs-config with the canned fs_config the Android build writes).
// - libcutils falls back to the host's own /<partition>/etc/... when a file is missing under DIR; here a missing
//   file just has no rules. A record libcutils would stop reading at (a length not past the header, a pattern cut
//   short or without its NUL), and bytes after the last record, are refused instead. The mode keeps its permission
//   bits (07777), as for --fs-config.
import fs from 'node:fs';
import path from 'node:path';
import { fail, fromHost } from '../errors.js';
import { FsPathConfigFromFile } from '../fs/layout/fs-config.js';
import type { FsConfigEntry } from './android.js';

/** The partitions whose etc/fs_config_* files libcutils reads, in its order. */
export const FS_CONFIG_PARTITIONS = ['system', 'vendor', 'oem', 'odm', 'product', 'system_ext'] as const;

/** libcutils' fs_config_open: where the dirs (or files) override file of `partition` is under `productOut`. */
export function fsConfigFile(productOut: string, partition: string, dir: boolean): string {
  const base = productOut.replace(/\/$/, '').replace(/\/system$/, '');
  return `${base}/${partition}/etc/fs_config_${dir ? 'dirs' : 'files'}`;
}

const CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  blank: ' \\t',
  cntrl: '\\x00-\\x1f\\x7f',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-/:-@\\[-`{-~',
  space: '\\t-\\r ',
  upper: 'A-Z',
  xdigit: '0-9A-Fa-f',
};

const byte = (c: string) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;

/**
 * glibc's fnmatch(pattern, ·, FNM_NOESCAPE) in the C locale, over byte strings (latin1): '*' and '?' match any bytes
 * including '/' and a leading '.', a backslash is an ordinary byte, "[...]" is a bracket expression ('!' or '^'
 * negates, a ']' first is literal, ranges (a reversed one is empty), [:class:], [=c=], [.c.]; an unknown class matches nothing) and a '[' without its ']'
 * matches itself.
 */
export function fnmatchRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') out += '[^]*';
    else if (c === '?') out += '[^]';
    else if (c === '[') {
      const bracket = parseBracket(pattern, i);
      if (bracket === null) out += byte(c);
      else {
        out += bracket.regex;
        i = bracket.end;
      }
    } else out += byte(c);
  }
  return new RegExp(`^${out}$`);
}

/** The bracket expression opening at `start`: its class and the index of its ']', or null when it is not closed. */
function parseBracket(p: string, start: number): { regex: string; end: number } | null {
  let i = start + 1;
  const negate = p[i] === '!' || p[i] === '^';
  if (negate) i++;
  let set = '';
  let valid = true;
  for (let first = true; i < p.length; first = false) {
    if (p[i] === ']' && !first) return { regex: valid ? `[${negate ? '^' : ''}${set}]` : '(?!)', end: i };
    const cls = /^\[:([a-z]*):\]/.exec(p.slice(i));
    // [=c=] and [.c.] (equivalence class, collating symbol) are just c in the C locale.
    const single = /^\[([=.])([^]\1)\]/.exec(p.slice(i));
    if (cls) {
      if (CLASSES[cls[1]] === undefined) valid = false;
      else set += CLASSES[cls[1]];
      i += cls[0].length;
    } else if (single) {
      set += byte(single[2][0]);
      i += 5;
    } else if (p[i + 1] === '-' && i + 2 < p.length && p[i + 2] !== ']') {
      if (p[i] <= p[i + 2]) set += `${byte(p[i])}-${byte(p[i + 2])}`; // a reversed range is empty
      i += 3;
    } else set += byte(p[i++]);
  }
  return null;
}

/** One record of an override file. */
interface FsConfigRule {
  match: RegExp;
  entry: FsConfigEntry;
}

const LOGICAL_PARTITIONS = ['system/product/', 'system/system_ext/', 'system/vendor/', 'vendor/odm/'];
const PARTITION_PREFIXES = ['odm/', 'oem/', 'product/', 'system_ext/', 'vendor/'];

/** An override file's records, each pattern massaged for directories when `dir` (fs_config_cmp). */
export function parseFsConfigBinary(buf: Buffer, file: string, dir: boolean): FsConfigRule[] {
  const rules: FsConfigRule[] = [];
  const head = FsPathConfigFromFile.size;
  for (let off = 0; off < buf.length; ) {
    const bad = (why: string): never => fail('USAGE', `${file}: record at byte ${off}: ${why}`);
    if (off + head > buf.length) bad(`${buf.length - off} bytes left, short of a ${head}-byte header`);
    const h = FsPathConfigFromFile.decode(buf, off);
    if (h.len <= head) bad(`length ${h.len} does not pass the ${head}-byte header`);
    if (off + h.len > buf.length) bad(`length ${h.len} runs past the end of the file`);
    const prefix = buf.subarray(off + head, off + h.len);
    const nul = prefix.indexOf(0);
    if (nul < 0) bad('the pattern has no terminating NUL');
    let pattern = prefix.subarray(0, nul).toString('latin1');
    if (dir && !pattern.endsWith('/*')) pattern += pattern.endsWith('/') ? '*' : '/*';
    rules.push({ match: fnmatchRegExp(pattern), entry: { uid: h.uid, gid: h.gid, mode: h.mode & 0o7777, capabilities: h.capabilities } });
    off += h.len;
  }
  return rules;
}

/** The override files of a product out directory, loaded once for every lookup of an import. */
export class ProductOutConfig {
  private constructor(
    private readonly dirs: FsConfigRule[],
    private readonly files: FsConfigRule[],
  ) {}

  static load(productOut: string): ProductOutConfig {
    if (!fromHost(() => fs.statSync(productOut)).isDirectory()) fail('ENOTDIR', `${productOut} is not a directory`);
    const rules = (dir: boolean) =>
      FS_CONFIG_PARTITIONS.flatMap((part) => {
        const file = fsConfigFile(productOut, part, dir);
        return fs.existsSync(file) ? parseFsConfigBinary(fromHost(() => fs.readFileSync(file)), path.normalize(file), dir) : [];
      });
    return new ProductOutConfig(rules(true), rules(false));
  }

  /**
   * get_fs_config() without the built-in tables: the first rule of the override files naming `key` (an Android path,
   * its leading '/' optional), looked up as a directory when `dir`; undefined when none does (see fsConfigDefault).
   */
  lookup(key: string, dir: boolean): FsConfigEntry | undefined {
    let input = Buffer.from(key.replace(/^\//, '')).toString('latin1');
    if (dir && !input.endsWith('/')) input += '/';
    // The path as it is, and on a logical partition inside another also as the partition's own path.
    const inputs = [input];
    for (const lp of LOGICAL_PARTITIONS) {
      const inPartition = input.slice(input.indexOf('/') + 1);
      if (input.startsWith(lp) && PARTITION_PREFIXES.some((p) => inPartition.startsWith(p))) inputs.push(inPartition);
    }
    return (dir ? this.dirs : this.files).find((r) => inputs.some((s) => r.match.test(s)))?.entry;
  }
}

/** fs_config()'s answer when no rule names a path: root, 0755 for a directory and 0644 otherwise, no capabilities. */
export function fsConfigDefault(dir: boolean): FsConfigEntry {
  return { uid: 0, gid: 0, mode: dir ? 0o755 : 0o644, capabilities: 0n };
}
