// Encrypted + casefolded directories as Android's /data/media has them (fixtures/cryptcf, made by Linux 6.1 with
// fixtures/make-cryptcf.ts): names hash by SipHash-2-4 of the folded plaintext under the directory's dirhash key.
// Reading: every dentry's hash_code is the one we compute, lookups by any case variant resolve as the kernel's did,
// listings with and without the key equal the kernel's. Writing with --key: names placed by that hash, both fscks
// clean (ours checks the hashes with the key), and Linux (one VM boot) lists, reads and finds our names by case variant.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFixture, fixtureListing, loadFixture, type FixtureEntry } from '../fixtures/load.js';
import { CF_DUPLICATES } from '../fixtures/make-casefold.js';
import { BIG_COUNT, LONG_FULL, LONG_ROOM, bigName } from '../fixtures/make-cryptcf.js';
import { rdump } from '../src/debugfs/rdump.js';
import { dirBlockIndex, dirBuckets, bucketBlocks } from '../src/fs/dir.js';
import { dirFilename } from '../src/fs/hash.js';
import { INameHashTail } from '../src/fs/layout/crypto.js';
import { Advise } from '../src/fs/layout/node.js';
import { Volume } from '../src/fs/volume.js';
import { levelOfBlock } from '../src/fsck/dentries.js';
import { fsck } from '../src/fsck/fsck.js';
import { cli, cliOk } from './helpers/cli.js';
import { fsckBoth } from './helpers/fsck.js';
import { compareListing, ourPaths, walkEntries } from './helpers/listing.js';
import { tmpPath } from './helpers/images.js';
import { runInVm, vmAvailable } from './helpers/vm.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SET = path.join(HERE, '..', 'fixtures', 'cryptcf');
const KEY_FILE = path.join(HERE, '..', 'fixtures', 'crypto', 'master.key');
const KEY = fs.readFileSync(KEY_FILE);
const K = ['--key', KEY_FILE];
const ANSWERS = JSON.parse(fs.readFileSync(path.join(SET, 'cryptcf.answers.json'), 'utf8')) as {
  keyIdentifier: string;
  flags: string;
  duplicates: { name: string; result: string }[];
  lookups: { name: string; ino: number | null }[];
};
const NOKEY = (JSON.parse(fs.readFileSync(path.join(SET, 'cryptcf.nokey.listing.json'), 'utf8')) as { entries: FixtureEntry[] }).entries;
const WITHKEY = fixtureListing('cryptcf');
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

const open = (img: string, keys: Buffer[] = [KEY]) => Volume.open(img, { readOnly: true, keys });

/**
 * Every entry of the encrypted casefolded tree under /enc: the hash we compute from its decrypted name against its
 * hash_code, its block against the bucket that hash selects, and its inode's i_name tail (init_dent_inode).
 */
function hashReport(vol: Volume): { entries: number; bad: string[]; tails: number; lostPino: string[] } {
  const bad: string[] = [];
  const lostPino: string[] = [];
  let entries = 0;
  let tails = 0;
  const walk = (ino: number, p: string) => {
    const dir = vol.inode(ino);
    const key = vol.crypto.dirhashKey(dir);
    const view = vol.crypto.nameView(dir)!;
    assert.ok(key && view, `${p}: the dirhash key`);
    for (const d of vol.dirs.rawEntries(dir)) {
      const name = view(d.name, d.hash);
      if (name.toString() === '.' || name.toString() === '..') continue;
      entries++;
      const at = `${p}/${name.toString()}`;
      const h = dirFilename(vol.sb, dir, name, key).hash;
      if (h !== d.hash) bad.push(`${at}: hash_code 0x${d.hash.toString(16)}, ours 0x${h.toString(16)}`);
      if (d.bidx >= 0) {
        const level = levelOfBlock(dir.inode.i_dir_level, d.bidx);
        const first = dirBlockIndex(level, dir.inode.i_dir_level, d.hash % dirBuckets(level, dir.inode.i_dir_level));
        if (d.bidx < first || d.bidx >= first + bucketBlocks(level)) bad.push(`${at}: in block ${d.bidx}, its bucket is ${first}..`);
      }
      const child = vol.inode(d.ino).inode;
      // The inode's own name (the last link made): the hash follows its ciphertext, or LOST_PINO without room.
      if (child.i_pino === ino && Buffer.from(child.i_name.subarray(0, child.i_namelen)).equals(d.name)) {
        if (d.name.length + INameHashTail.size <= 255) {
          tails++;
          const tail = INameHashTail.decode(Buffer.from(child.i_name.subarray(d.name.length, d.name.length + INameHashTail.size))).hash;
          if (tail !== d.hash) bad.push(`${at}: i_name keeps hash 0x${tail.toString(16)}`);
        } else if (child.i_advise & Advise.LOST_PINO) lostPino.push(at);
        else bad.push(`${at}: a 255-byte name without LOST_PINO`);
      }
      if (d.fileType === 2) walk(d.ino, at);
    }
  };
  walk(vol.resolve('/enc').ino, '/enc');
  return { entries, bad, tails, lostPino };
}

let fixtureImg = '';
test.before(async () => {
  fixtureImg = await loadFixture('cryptcf');
});

test('the fixture: /enc is encrypted and casefolded; the v2 key identifier is the kernel one', () => {
  assert.match(ANSWERS.flags, /casefold,encrypt/);
  const st = JSON.parse(cliOk(['stat', fixtureImg, '/enc', '--json'])) as { encryption: { masterKeyIdentifier: string; version: number } };
  assert.is(st.encryption.version, 2);
  assert.is(st.encryption.masterKeyIdentifier, ANSWERS.keyIdentifier);
});

test("every dentry's hash_code is SipHash-2-4 of its folded plaintext under the directory's dirhash key, in the bucket it selects", () => {
  const vol = open(fixtureImg);
  try {
    const r = hashReport(vol);
    assert.equal(r.bad, []);
    assert.ok(r.entries >= BIG_COUNT + 25, `${r.entries} entries checked`);
    assert.ok(r.tails > 20, 'Linux keeps the hash after i_name');
    assert.equal(r.lostPino, [`/enc/${LONG_FULL}`], 'the 255-byte ciphertext name leaves no room: LOST_PINO');
    // /enc/big spans several hash levels.
    assert.ok(vol.inode(vol.resolve('/enc/big').ino).inode.i_current_depth >= 2);
    // Not the TEA hash of the same folded name (that would be a plain casefolded directory).
    const enc = vol.inode(vol.resolve('/enc').ino);
    const d = vol.lookup(enc, Buffer.from('README'))!;
    assert.is.not(d.hash, dirFilename(vol.sb, enc, Buffer.from('README')).hash);
  } finally {
    vol.close();
  }
});

test('with --key: every case variant the kernel resolved resolves to the same inode (by hash), the misses miss', () => {
  const vol = open(fixtureImg);
  try {
    const enc = vol.resolve('/enc').ino;
    for (const { name, ino } of ANSWERS.lookups) {
      let ours: number | null = null;
      try {
        ours = vol.resolve(name, { cwd: enc }).ino;
      } catch {
        ours = null;
      }
      assert.is(ours, ino, name);
    }
    // Found by the hashed walk itself: the bucket of each variant's SipHash holds the entry.
    const big = vol.inode(vol.resolve('/enc/big').ino);
    const key = vol.crypto.dirhashKey(big);
    for (const i of [0, 123, BIG_COUNT - 1]) {
      const f = dirFilename(vol.sb, big, Buffer.from(bigName(i).toLowerCase()), key);
      assert.is(f.hash, vol.lookup(big, Buffer.from(bigName(i).toUpperCase()))!.hash, bigName(i));
    }
  } finally {
    vol.close();
  }
  assert.is(cliOk(['cat', fixtureImg, '/enc/STRASSE', ...K]), 'Straße\n');
  assert.is(cliOk(['cat', fixtureImg, '/enc/sub/DEEPER/strasse.TXT', ...K]), 'deeper\n');
  assert.is(cliOk(['readlink', fixtureImg, '/enc/link', ...K]).trim(), 'Sub/Inner.txt');
});

test('with --key: names, inode fields, contents and symlink targets equal the kernel listing; rdump writes them', () => {
  const vol = open(fixtureImg);
  const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'f2fsdbg-rdump-cryptcf-'));
  try {
    assert.equal(ourPaths(vol), WITHKEY.map((e) => e.path));
    assert.equal(compareListing(vol, WITHKEY, true), []);
    const stats = rdump(vol, vol.resolve('/enc').ino, path.join(dest, 'enc'));
    assert.is(stats.skipped.length, 0);
    for (const e of WITHKEY.filter((x) => x.type === 'file' && x.path.startsWith('/enc/'))) assert.is(md5(fs.readFileSync(path.join(dest, e.path))), e.md5, e.path);
    assert.is(fs.readlinkSync(path.join(dest, 'enc/Link')), 'Sub/Inner.txt');
  } finally {
    vol.close();
    fs.rmSync(dest, { recursive: true, force: true });
  }
  const ls = JSON.parse(cliOk(['ls', fixtureImg, '/enc', '--json', ...K])) as { casefolded: boolean; entries: { name: string }[] };
  assert.ok(ls.casefolded);
  assert.ok(ls.entries.some((e) => e.name === 'Straße'));
});

test('without the key: our tree and inode fields equal the kernel no-key listing', () => {
  const vol = open(fixtureImg, []);
  try {
    assert.equal(ourPaths(vol), NOKEY.map((e) => e.path));
    assert.equal(compareListing(vol, NOKEY, false), []);
  } finally {
    vol.close();
  }
});

test('fsck: with --key ours checks the SipHash hashes (fsck.f2fs 1.15 does not); without it, one warning per directory', async () => {
  const img = await copyFixture('cryptcf');
  try {
    assert.equal(fsckBoth(img).problems, []);
    const withKey = open(img);
    const clean = fsck(withKey);
    withKey.close();
    assert.ok(clean.ok);
    assert.equal(clean.findings, []);
    const noKey = open(img, []);
    const warned = fsck(noKey);
    noKey.close();
    assert.ok(warned.ok);
    assert.is(warned.findings.filter((f) => f.code === 'DENTRY_HASH_UNCHECKED' && f.severity === 'warning').length, 4, '/enc, Sub, Sub/Deeper, big');
    assert.is(warned.findings.length, 4);
    // A wrong hash in the inline /enc/Sub: fsck.f2fs passes it, ours with the key finds it.
    const sub = WITHKEY.find((e) => e.path === '/enc/Sub')!;
    const inner = NOKEY.find((e) => e.ino === WITHKEY.find((k) => k.path === '/enc/Sub/Inner.txt')!.ino)!;
    cliOk(['set-dentry', img, `<${sub.ino}>`, path.basename(inner.path), 'hash_code', '0x1234']);
    const r = fsckBoth(img);
    assert.is(r.real.status, 0, 'fsck.f2fs skips hashes of encrypted casefolded names');
    assert.not.match(r.real.out, /Mismatch hash_code/);
    const v = open(img);
    const found = fsck(v);
    v.close();
    assert.ok(found.findings.some((f) => f.code === 'DENTRY_HASH' && /hash_code 0x1234/.test(f.message)), JSON.stringify(found.findings));
    // A hash_code that selects another bucket: fsck.f2fs and ours without the key see the position, ours with it the hash.
    const moved = fs.readFileSync(img);
    const img2 = `${img}.2`;
    fs.writeFileSync(img2, moved);
    const probe = open(img2, []);
    const big = probe.inode(probe.resolve(NOKEY.find((e) => e.ino === WITHKEY.find((k) => k.path === '/enc/big')!.ino)!.path).ino);
    const far = [...probe.dirs.rawEntries(big)].find((d) => d.bidx >= 2 && d.name.length > 2)!;
    const farName = [...probe.dirs.entries(big)].find((d) => d.bidx === far.bidx && d.slot === far.slot)!.name.toString();
    probe.close();
    cliOk(['set-dentry', img2, `<${big.ino}>`, farName, 'hash_code', String(far.hash ^ 1)]);
    const both = fsckBoth(img2);
    fs.rmSync(img2);
    assert.match(both.real.out, /Wrong position of dirent/);
    assert.ok(both.ours!.findings.some((f) => f.code === 'DENTRY_POSITION'));
  } finally {
    fs.rmSync(img);
  }
});

/** New names (mixed case, non-ASCII, folding only through Unicode) written with --key; returns what each path holds. */
function writeWithKey(img: string): Map<string, string> {
  const script = tmpPath(`cryptcf-script-${process.pid}.txt`);
  const lines = [
    'mkdir /enc/Neue-Ördner',
    "write /enc/Neue-Ördner/Datei.TXT --data 'datei'",
    "write /enc/Ωmega.txt --data 'omega'",
    "write /enc/Sub/ǅungla --data 'dz'",
    `write /enc/${LONG_ROOM.slice(0, 200)}-NEW --data 'long'`,
    'symlink Sub/Inner.txt /enc/NewLink',
    'mknod /enc/Fifo p',
    'ln /enc/Ωmega.txt /enc/Sub/OMEGA-hard',
    'mv /enc/MixedCase.TXT /enc/Sub/Moved-Ĉase.txt',
    'mv /enc/ǈ-lj /enc/Renamed-Ǉ',
    // Over README through a case variant (f2fs_set_link: the entry keeps its spelling, names smile's inode).
    'mv /enc/🙂smile /enc/readme',
    'rm /enc/STRASSE',
    'mkdir /enc/Tmp-Dir',
    'rmdir /enc/tmp-DIR',
    'rm /enc/big/entry_0005_ä',
    ...Array.from({ length: 250 }, (_, i) => `touch /enc/big/Neu_${String(i).padStart(4, '0')}_Ö`),
  ];
  fs.writeFileSync(script, lines.join('\n') + '\n');
  try {
    cliOk(['run', img, '-f', script, '-q', ...K]);
  } finally {
    fs.rmSync(script);
  }
  return new Map([
    ['/enc/Neue-Ördner/Datei.TXT', md5(Buffer.from('datei'))],
    ['/enc/Ωmega.txt', md5(Buffer.from('omega'))],
    ['/enc/Sub/OMEGA-hard', md5(Buffer.from('omega'))],
    ['/enc/Sub/ǅungla', md5(Buffer.from('dz'))],
    ['/enc/NewLink', 'L Sub/Inner.txt'],
    ['/enc/Sub/Moved-Ĉase.txt', md5(Buffer.from('MixedCase.TXT\n'))],
    ['/enc/Renamed-Ǉ', md5(Buffer.from('ǈ-lj\n'))],
    ['/enc/README', md5(Buffer.from('🙂smile\n'))],
    ['/enc/big/Neu_0249_Ö', md5(Buffer.alloc(0))],
  ]);
}

/** Case variants of the written names, and names that must be gone. */
const VARIANTS = ['neue-örDNER/DATEI.txt', 'ωMEGA.TXT', 'sub/ǆUNGLA', 'SUB/omega-HARD', 'sub/MOVED-ĉASE.TXT', 'renamed-ǉ', 'RENAMED-LJ', 'newlink', 'FIFO', 'readme', 'big/NEU_0150_ö', 'big/neu_0000_ö', 'straße', 'tmp-dir', 'big/Entry_0005_Ä', 'mixedcase.txt', '🙂SMILE'];

/** Names Linux adds after our writes, in directories we made (Neue-Ördner) and filled (big). */
const LINUX_NAMES = ['Neue-Ördner/Linux-Ünïcode.txt', 'Neue-Ördner/ǅ-linux', 'big/Linux-in-big-ß', 'Linux-top-Σ'];

/** Our reader with the key: every path under /enc with its type and inode, and the md5 or target of files and symlinks. */
function ourModel(img: string): Map<string, string> {
  const vol = open(img);
  const out = new Map<string, string>();
  try {
    walkEntries(vol, '/enc', (p, info) => {
      const type = info.inode.i_mode & 0o170000;
      if (type === 0o040000) out.set(p, `D ${info.ino}`);
      else if (type === 0o120000) out.set(p, `L ${vol.readlink(info).toString()}`);
      else if (type === 0o100000) out.set(p, `F ${info.ino} ${md5(vol.data.read(info, 0, info.inode.i_size))}`);
      else out.set(p, `S ${info.ino}`);
    });
  } finally {
    vol.close();
  }
  return out;
}

/** Where each variant resolves in /enc (null: ENOENT), by our reader. */
function ourLookups(img: string): (number | null)[] {
  const vol = open(img);
  try {
    const enc = vol.resolve('/enc').ino;
    return VARIANTS.map((v) => {
      try {
        return vol.resolve(v, { cwd: enc }).ino;
      } catch {
        return null;
      }
    });
  } finally {
    vol.close();
  }
}

test('with --key: create, write, symlink, mknod, ln, mv, rm and rmdir place names by SipHash as Linux does; both fscks clean', async () => {
  const img = await copyFixture('cryptcf');
  try {
    const want = writeWithKey(img);
    assert.equal(fsckBoth(img).problems, []);
    const v = open(img);
    const checked = fsck(v);
    v.close();
    assert.ok(checked.ok);
    assert.equal(checked.findings, [], 'our fsck checked every hash with the key');
    const vol = open(img);
    try {
      const r = hashReport(vol);
      assert.equal(r.bad, []);
      assert.ok(r.entries >= BIG_COUNT + 250 + 25);
      assert.ok(vol.inode(vol.resolve('/enc/big').ino).inode.i_current_depth >= 3, 'the big directory grew a level');
    } finally {
      vol.close();
    }
    const model = ourModel(img);
    for (const [p, m] of want) assert.ok(model.get(p)?.endsWith(m.replace(/^L /, '')), `${p}: ${model.get(p)} vs ${m}`);
    const looked = ourLookups(img);
    const at = (v: string) => looked[VARIANTS.indexOf(v)];
    assert.is(at('readme'), ANSWERS.lookups.find((l) => l.name === '🙂smile')!.ino, 'README names the moved inode');
    for (const gone of ['straße', 'tmp-dir', 'big/Entry_0005_Ä', 'mixedcase.txt', '🙂SMILE', 'RENAMED-LJ']) assert.is(at(gone), null, gone);
    for (const v of VARIANTS.filter((x) => !['straße', 'tmp-dir', 'big/Entry_0005_Ä', 'mixedcase.txt', '🙂SMILE', 'RENAMED-LJ'].includes(x))) assert.ok(at(v), v);
    // A name that folds to an existing one is EEXIST, as the kernel answered for each of these.
    for (const name of ['readme', 'ΣΊΣΥΦΟΣ', 'CAFÉ', 'kelvin', 'zerowidth', 'FILE']) {
      assert.ok(CF_DUPLICATES.includes(name));
      assert.match(ANSWERS.duplicates.find((d) => d.name === name)!.result, /File exists/, name);
      const x = cli(['mkdir', img, `/enc/${name}`, ...K]);
      assert.is(x.status, 1, name);
      assert.match(x.stderr, /EEXIST/, name);
    }
  } finally {
    fs.rmSync(img);
  }
});

test('without the key: names cannot be added to an encrypted casefolded directory (ENOKEY); +F needs the key', async () => {
  const img = await copyFixture('cryptcf');
  try {
    const r = cli(['write', img, '/enc/x', '--data', 'x']);
    assert.match(r.stderr, /ENOKEY/);
    // +F on an empty encrypted directory: the dirhash key is derived from the master key, as fscrypt_prepare_setflags.
    cliOk(['mkdir', img, '/plain/e']);
    cliOk(['set-policy', img, '/plain/e', ...K]);
    const nf = cli(['set-flags', img, '/plain/e', '+casefold']);
    assert.match(nf.stderr, /ENOKEY/);
    cliOk(['set-flags', img, '/plain/e', '+casefold', ...K]);
    cliOk(['write', img, '/plain/e/New.TXT', '--data', 'n', ...K]);
    assert.is(cliOk(['cat', img, '/plain/e/NEW.txt', ...K]), 'n');
    assert.equal(fsckBoth(img).problems, []);
  } finally {
    fs.rmSync(img);
  }
});

test('roll-forward: a name fsynced into an encrypted casefolded directory comes back under the hash saved after i_name, with or without the key', async () => {
  for (const keys of [K, []]) {
    const img = await copyFixture('cryptcf');
    try {
      cliOk(['write', img, '/enc/Fsynced-Ä.TXT', '--data', 'fsynced', '--sync', 'fsync', ...K]);
      cliOk(['recover', img, ...keys]);
      assert.equal(fsckBoth(img).problems, []);
      const vol = open(img);
      try {
        assert.equal(hashReport(vol).bad, [], 'the recovered entry carries the SipHash');
        assert.is(vol.data.read(vol.inode(vol.resolve('/enc/FSYNCED-ä.txt').ino), 0, 100).toString(), 'fsynced');
      } finally {
        vol.close();
      }
    } finally {
      fs.rmSync(img);
    }
  }
});

const vm = vmAvailable();

test('Linux mounts our written image, adds the key, lists and reads what our model holds and finds our names by case variant', async () => {
  if (!vm.ok) return assert.unreachable(`no test VM: ${vm.why}`);
  const img = await copyFixture('cryptcf');
  try {
    writeWithKey(img);
    assert.equal(fsckBoth(img).problems, []);
    // A second image whose new name waits for roll-forward: Linux's mount recovers it by the hash saved in i_name.
    const fsynced = await copyFixture('cryptcf', tmpPath(`cryptcf-fsynced-${process.pid}.img`));
    cliOk(['write', fsynced, '/enc/Fsynced-Ä.TXT', '--data', 'fsynced', '--sync', 'fsync', ...K]);
    const model = ourModel(img);
    const looked = ourLookups(img);
    const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const script = [
      'set -e',
      'mkdir -p /mnt/c',
      'mount -t f2fs /dev/vda /mnt/c',
      'fscrypt add-key /job/files/master.key /mnt/c > /dev/null',
      'cd /mnt/c',
      `find enc -mindepth 1 | while read -r f; do if [ -L "$f" ]; then echo "E $f|L $(readlink "$f")"; elif [ -d "$f" ]; then echo "E $f|D $(stat -c %i "$f")"; elif [ -f "$f" ]; then echo "E $f|F $(stat -c %i "$f") $(md5sum < "$f" | cut -d' ' -f1)"; else echo "E $f|S $(stat -c %i "$f")"; fi; done`,
      ...VARIANTS.map((v, i) => `echo "V|${i}|$(stat -c %i enc/${q(v)} 2>/dev/null || echo -)"`),
      // Linux 6.1 falls back to a linear search in casefolded directories, so finding our names does not prove it
      // hashes as we do: names Linux adds to directories we made (our nonce, our dirhash key) and filled must carry the
      // hash we compute, and Linux refuses the folded duplicates of our names.
      ...LINUX_NAMES.map((n) => `echo linux > enc/${q(n)}`),
      'mkdir enc/Neue-Ördner/Linux-Ördner',
      ...['neue-ördner/datei.txt', 'ωMEGA.TXT', 'big/neu_0042_ö'].map((n) => `if mkdir enc/${q(n)} 2>/dev/null; then echo "X created ${n}"; fi`),
      'cd /',
      'umount /mnt/c',
      'mount -t f2fs /dev/vdb /mnt/c',
      'fscrypt add-key /job/files/master.key /mnt/c > /dev/null',
      'echo "R $(cat /mnt/c/enc/FSYNCED-ä.txt)"',
      'umount /mnt/c',
      'echo DONE',
    ].join('\n');
    const r = await runInVm({ disks: [img, fsynced], script, files: { 'master.key': KEY }, timeoutMs: 300_000 });
    assert.is(r.status, 0, r.output);
    assert.match(r.output, /DONE/);
    assert.match(r.output, /^R fsynced$/m, 'Linux rolled our fsynced name forward and finds it by a case variant');
    assert.equal(fsckBoth(fsynced).problems, []);
    const rolled = open(fsynced);
    try {
      assert.equal(hashReport(rolled).bad, []);
    } finally {
      rolled.close();
      fs.rmSync(fsynced);
    }
    const linux = new Map<string, string>();
    for (const m of r.output.matchAll(/^E ([^|]*)\|(.*)$/gm)) linux.set(`/${m[1]}`, m[2]!);
    assert.is(linux.size, model.size, 'Linux lists as many names as we do');
    for (const [p, v] of model) assert.is(linux.get(p), v, p);
    const theirs = new Map([...r.output.matchAll(/^V\|(\d+)\|(.*)$/gm)].map((m) => [Number(m[1]), m[2] === '-' ? null : Number(m[2])]));
    VARIANTS.forEach((v, i) => assert.is(theirs.get(i), looked[i], `Linux resolves ${v} as we do`));
    assert.not.match(r.output, /^X created/m, 'Linux sees our names as existing under every folding');
    const after = open(img);
    try {
      const h = hashReport(after);
      assert.equal(h.bad, [], 'Linux hashed its names in our directories as we do');
      const big = after.inode(after.resolve('/enc/big').ino);
      for (const n of LINUX_NAMES) assert.ok(after.resolve(`/enc/${n.toUpperCase()}`).ino, n);
      assert.ok(after.lookup(big, Buffer.from('LINUX-IN-BIG-SS')));
    } finally {
      after.close();
    }
    const complaints = r.dmesg.split('\n').filter((l) => /f2fs|fscrypt/i.test(l) && /error|corrupt|inconsistent|fail/i.test(l));
    assert.equal(complaints, []);
    assert.equal(fsckBoth(img).problems, []);
  } finally {
    fs.rmSync(img);
  }
});

test.run();
