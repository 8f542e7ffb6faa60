// Randomised sessions inside casefolded directories: seeded runs of create, mkdir, unlink, rmdir, rename and lookup
// with names drawn from groups of spellings that fold alike (case, ß/ss, titlecase digraphs, final sigma, Hangul
// syllables and jamo, precomposed and decomposed accents, ignorables, compatibility characters) and enough of them
// that directories leave the inline area. A model keyed by the folded name predicts each result (EEXIST, ENOENT,
// EISDIR, ENOTDIR, ENOTEMPTY, which inode a spelling finds, which spelling stays stored); every 100 operations a
// checkpoint, then a fresh Volume must list exactly the model's stored names and both fscks must pass. At the end
// Linux (qemu) lists the same names and resolves every spelling to the same inode.
//   Reproduce one run: CF_RANDOM_SEEDS=<seed> node --import tsx node_modules/uvu/bin.js test casefold-random
import fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeCheckpoint } from '../src/fs/checkpoint.js';
import { FsFlag } from '../src/fs/layout/node.js';
import { mkfsImage } from '../src/fs/mkfs.js';
import { createNode, removeName, rename } from '../src/fs/namei.js';
import { mkdir, setFlagsPath } from '../src/fs/ops.js';
import { utf8Casefold } from '../src/fs/unicode/utf8n.js';
import { Volume } from '../src/fs/volume.js';
import { fsckBoth } from './helpers/fsck.js';
import { tmpPath } from './helpers/images.js';
import { runInVm, vmAvailable } from './helpers/vm.js';
import { Rng, errCode } from './helpers/workload.js';
import { q } from '../fixtures/make-casefold.js';

const OPS = Number(process.env.CF_RANDOM_OPS ?? 1000);
const SEEDS = (process.env.CF_RANDOM_SEEDS ?? '7,8').split(',').map(Number);

/** Spellings that fold alike, per group. */
const GROUPS: string[][] = [
  ['straße', 'STRASSE', 'Strasse', 'STRAẞE'],
  ['ǅemal', 'ǆemal', 'DŽEMAL'],
  ['café', 'cafe\u0301', 'CAFÉ', 'CAFE\u0301'],
  ['σίσυφος', 'ΣΊΣΥΦΟΣ', 'Σίσυφοσ'],
  ['kelvin', '\u212Aelvin', 'KELVIN'],
  ['ﬁle', 'FILE', 'File'],
  ['한국어', '\u1112\u1161\u11AB\u1100\u116E\u11A8\u110B\u1165'],
  ['zero\u200Bwidth', 'zerowidth', 'ZERO\u00ADWIDTH'],
  ['o\u0307\u0323', 'O\u0323\u0307', 'ọ\u0307'],
  ['Ω-ohm', '\u2126-OHM', 'ω-ohm'],
  ['mixed.TXT', 'MIXED.txt', 'Mixed.Txt'],
];
const LONG = 'L'.repeat(180);

/** The model's key: the folded name, or the bytes when the name does not fold (as f2fs_init_casefolded_name). */
const key = (name: string) => {
  const cf = utf8Casefold(Buffer.from(name), 255);
  return (cf && cf.length ? cf : Buffer.from(name)).toString('hex');
};

interface MEntry {
  name: string;
  kind: 'file' | 'dir';
  /** Directories: their own entries (one level deep at most). */
  entries?: Map<string, MEntry>;
}


function spelling(r: Rng): string {
  const g = r.int(0, GROUPS.length - 1);
  const suffix = r.chance(0.05) ? `${LONG}-${r.int(0, 3)}` : `-${r.int(0, 40)}`;
  return `${r.pick(GROUPS[g])}${suffix.toUpperCase() === suffix || r.chance(0.5) ? suffix : suffix.toUpperCase()}`;
}

function session(seed: number): { img: string; model: Map<string, MEntry>; probes: string[] } {
  const img = tmpPath(`cf-random-${seed}.img`);
  fs.rmSync(img, { force: true });
  mkfsImage(img, { sizeBytes: 64 << 20, features: ['extra_attr'], encoding: 'utf8', seed, timestamp: 1700000000 });
  const r = new Rng(seed);
  const model = new Map<string, MEntry>();
  const probes: string[] = [];
  let vol = Volume.open(img, { readOnly: false });
  const ci = mkdir(vol, '/ci');
  setFlagsPath(vol, '/ci', FsFlag.CASEFOLD, 0);
  const where = (at: number, what: string) => `seed ${seed} op ${at}: ${what}`;
  /** A directory of the model and its inode: /ci, or one of its subdirectories (which inherited +F). */
  const pickDir = (): { dir: Map<string, MEntry>; ino: number } => {
    const subs = [...model.values()].filter((e) => e.kind === 'dir');
    if (subs.length && r.chance(0.3)) {
      const s = r.pick(subs);
      return { dir: s.entries!, ino: vol.lookup(vol.inode(ci), Buffer.from(s.name))!.ino };
    }
    return { dir: model, ino: ci };
  };
  try {
    for (let at = 0; at < OPS; at++) {
      const { dir, ino } = pickDir();
      const name = spelling(r);
      const k = key(name);
      const have = dir.get(k);
      const op = r.weighted<string>([
        [4, 'create'],
        [1, 'mkdir'],
        [2, 'unlink'],
        [1, 'rmdir'],
        [2, 'rename'],
        [3, 'lookup'],
      ]);
      const buf = Buffer.from(name);
      if (op === 'create' || (op === 'mkdir' && dir !== model)) {
        assert.is(errCode(() => createNode(vol, ino, buf, 0o100644)), have ? 'EEXIST' : 'ok', where(at, `create ${name}`));
        if (!have) dir.set(k, { name, kind: 'file' });
      } else if (op === 'mkdir') {
        assert.is(errCode(() => createNode(vol, ino, buf, 0o040755)), have ? 'EEXIST' : 'ok', where(at, `mkdir ${name}`));
        if (!have) dir.set(k, { name, kind: 'dir', entries: new Map() });
      } else if (op === 'unlink' || op === 'rmdir') {
        const rmdir = op === 'rmdir';
        const want = !have ? 'ENOENT' : rmdir ? (have.kind !== 'dir' ? 'ENOTDIR' : have.entries!.size ? 'ENOTEMPTY' : 'ok') : have.kind === 'dir' ? 'EISDIR' : 'ok';
        assert.is(errCode(() => removeName(vol, ino, buf, rmdir)), want, where(at, `${op} ${name}`));
        if (want === 'ok') dir.delete(k);
      } else if (op === 'rename') {
        // within the directory: a source spelling (usually of an existing entry) to a new spelling
        const src = have && r.chance(0.3) ? have.name : r.chance(0.7) && dir.size ? r.pick([...dir.values()]).name : name;
        const sk = key(src);
        const s = dir.get(sk);
        const dst = r.chance(0.3) ? r.pick(GROUPS[r.int(0, GROUPS.length - 1)]) + src.slice(src.lastIndexOf('-')) : spelling(r);
        const dk = key(dst);
        const d = dir.get(dk);
        let want = 'ok';
        if (!s) want = 'ENOENT';
        else if (dk === sk) want = 'ok';
        else if (d && d.kind !== s.kind) want = s.kind === 'dir' ? 'ENOTDIR' : 'EISDIR';
        else if (d && d.kind === 'dir' && d.entries!.size) want = 'ENOTEMPTY';
        assert.is(errCode(() => rename(vol, ino, Buffer.from(src), ino, Buffer.from(dst))), want, where(at, `rename ${src} -> ${dst}`));
        if (want === 'ok' && dk !== sk) {
          // over an existing entry, that entry's spelling stays (f2fs_set_link)
          dir.delete(sk);
          dir.set(dk, { ...s!, name: d ? d.name : dst });
        }
      } else {
        const d = vol.lookup(vol.inode(ino), buf);
        assert.is(d ? d.name.toString() : null, have ? have.name : null, where(at, `lookup ${name}`));
        if (dir === model) probes.push(name);
      }
      if (at % 100 === 99) {
        writeCheckpoint(vol, { umount: true });
        vol.close();
        const both = fsckBoth(img);
        assert.equal(both.problems, [], where(at, both.problems.join('\n')));
        vol = Volume.open(img, { readOnly: false });
        const listed = (dirIno: number) => [...vol.dirs.entries(vol.inode(dirIno))].map((e) => e.name.toString()).filter((n) => n !== '.' && n !== '..').sort();
        assert.equal(listed(ci), [...model.values()].map((e) => e.name).sort(), where(at, 'listing of /ci'));
        for (const e of model.values()) if (e.kind === 'dir') assert.equal(listed(vol.resolve(`/ci/${e.name}`).ino), [...e.entries!.values()].map((x) => x.name).sort(), where(at, `listing of ${e.name}`));
      }
    }
    writeCheckpoint(vol, { umount: true });
  } finally {
    vol.close();
  }
  return { img, model, probes };
}

for (const seed of SEEDS) {
  test(`random session in +F directories, seed ${seed} (${OPS} ops): results as the folding model predicts, both fscks clean at each checkpoint; Linux agrees`, async () => {
    const { img, model, probes } = session(seed);
    const both = fsckBoth(img);
    assert.equal(both.problems, []);
    assert.ok(model.size > 60, `${model.size} entries in /ci`);
    const vm = vmAvailable();
    if (!vm.ok) {
      console.log(`  (Linux check skipped: ${vm.why})`);
      return;
    }
    const spellings = [...new Set([...probes, ...GROUPS.flat().map((g) => `${g}-7`)])];
    const script = [
      'mount -t f2fs -o ro /dev/vda /mnt || exit 9',
      // readdir names as they are (busybox ls would print '?' for what it thinks unprintable)
      'for f in /mnt/ci/*; do printf "%s\\n" "${f#/mnt/ci/}"; done > /tmp/out/ls.txt',
      ...spellings.map((n, i) => `echo 2 > /proc/sys/vm/drop_caches; echo "P|${i}|$(stat -c %i /mnt/ci/${q(n)} 2>/dev/null || echo -)"`),
      'umount /mnt',
    ].join('\n');
    const r = await runInVm({ disks: [img], script, outMb: 4, timeoutMs: 300_000 });
    assert.is(r.status, 0, r.output);
    const linuxLs = r.outFiles.get('ls.txt')!.toString('utf8').split('\n').filter(Boolean).sort();
    assert.equal(linuxLs, [...model.values()].map((e) => e.name).sort());
    const got = new Map([...r.output.matchAll(/^P\|(\d+)\|(\S+)$/gm)].map((m) => [Number(m[1]), m[2]]));
    const vol = Volume.open(img, { readOnly: true });
    try {
      spellings.forEach((n, i) => {
        const d = vol.lookup(vol.inode(vol.resolve('/ci').ino), Buffer.from(n));
        assert.is(got.get(i), d ? String(d.ino) : '-', `Linux and we resolve ${JSON.stringify(n)}`);
      });
    } finally {
      vol.close();
    }
  });
}

test.run();
