// Randomised sessions on a compression image: seeded runs of writes (text that compresses, noise that does not,
// zeros), appends, truncates (down and up), unlinks, fsyncs (a checkpoint for a compressed file) and
// release/reserve-cblocks over compressed files (made by extension, by a +compression directory, with each
// of the four algorithms and cluster sizes 4 to 32 blocks) and plain ones. A model holds every file's bytes and
// predicts EPERM for writes to released files; every 40 operations a checkpoint, then a fresh Volume must read the
// model's content and both fscks must pass (i_compr_blocks included). At the end Linux (qemu) reads the same content
// and the same i_compr_blocks.
//   Reproduce one run: CZ_RANDOM_SEEDS=<seed> node --import tsx node_modules/uvu/bin.js test compress-random
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { releaseCompressBlocks, reserveCompressBlocks } from '../src/fs/cblocks.js';
import { loadCompressors } from '../src/fs/codecs/index.js';
import { writeCheckpoint } from '../src/fs/checkpoint.js';
import { fsyncFile } from '../src/fs/file.js';
import { CompressAlgorithm } from '../src/fs/layout/compress.js';
import { BLKSIZE } from '../src/fs/layout/constants.js';
import { FsFlag } from '../src/fs/layout/node.js';
import { mkfsImage } from '../src/fs/mkfs.js';
import { mkdir, remove, setFlagsPath, truncatePath, writePath } from '../src/fs/ops.js';
import { Volume } from '../src/fs/volume.js';
import { fsckBoth } from './helpers/fsck.js';
import { tmpPath } from './helpers/images.js';
import { runInVm, vmAvailable } from './helpers/vm.js';
import { Rng, errCode } from './helpers/workload.js';
import { noiseBytes, textBytes } from '../fixtures/make-compress.js';

const OPS = Number(process.env.CZ_RANDOM_OPS ?? 400);
const SEEDS = (process.env.CZ_RANDOM_SEEDS ?? '11,12').split(',').map(Number);
const EVERY = Number(process.env.CZ_CHECK_EVERY ?? 40);
const ALGORITHMS = [CompressAlgorithm.LZO, CompressAlgorithm.LZ4, CompressAlgorithm.ZSTD, CompressAlgorithm.LZORLE];
/** Compressed by extension (*.txt), by inheriting /z's flag, or plain. */
const PATHS = ['/a.txt', '/b.txt', '/c.txt', '/d.txt', '/z/e', '/z/f', '/z/g', '/p', '/q'];

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

function content(r: Rng, len: number): Buffer {
  const kind = r.weighted<string>([
    [5, 'text'],
    [2, 'noise'],
    [1, 'zeros'],
  ]);
  if (kind === 'zeros') return Buffer.alloc(len);
  if (kind === 'noise') return noiseBytes(len, r.u32() | 1);
  const skip = r.int(0, 5000);
  return textBytes(len + skip).subarray(skip);
}

interface Session {
  img: string;
  model: Map<string, Buffer>;
  comprBlocks: Map<string, number>;
}

function session(seed: number): Session {
  const img = tmpPath(`cz-random-${seed}.img`);
  fs.rmSync(img, { force: true });
  mkfsImage(img, { sizeBytes: 128 << 20, features: ['extra_attr,inode_checksum,flexible_inline_xattr,compression'], seed, timestamp: 1700000000 });
  const r = new Rng(seed);
  const model = new Map<string, Buffer>();
  const released = new Set<string>();
  let vol = Volume.open(img, { readOnly: false });
  const options = () => {
    Object.assign(vol.compressOptions, { extensions: ['txt'], algorithm: r.pick(ALGORITHMS), logClusterSize: r.int(2, 5), chksum: r.chance(0.3) });
  };
  mkdir(vol, '/z');
  setFlagsPath(vol, '/z', FsFlag.COMPR, 0);
  const where = (at: number, what: string) => `seed ${seed} op ${at}: ${what}`;
  const compressed = (p: string) => vol.inode(vol.resolve(p).ino).logClusterSize > 0;
  let cuts = 0;
  let savedMax = 0;
  let releases = 0;
  try {
    for (let at = 0; at < OPS; at++) {
      const p = r.pick(PATHS);
      const have = model.get(p);
      const op = r.weighted<string>([
        [6, 'write'],
        [2, 'append'],
        [2, 'truncate'],
        [1, 'unlink'],
        [1, 'fsync'],
        [1, 'release'],
      ]);
      if (op === 'write' || op === 'append' || (op === 'truncate' && !have)) {
        if (!have) options(); // a new file takes the options in force at its creation
        const old = have ?? Buffer.alloc(0);
        const len = r.int(1, r.chance(0.2) ? 300_000 : 40_000);
        const off = op === 'append' ? old.length : r.chance(0.5) ? r.int(0, old.length) : BLKSIZE * r.int(0, Math.ceil(old.length / BLKSIZE) + 8);
        const data = content(r, len);
        const want = released.has(p) ? 'EPERM' : 'ok';
        if (process.env.CZ_TRACE) console.log(at, op, p, off, len, have?.length);
        assert.is(errCode(() => writePath(vol, p, data, { offset: off })), want, where(at, `write ${p} ${off}+${len}`));
        if (want === 'ok') {
          const next = Buffer.alloc(Math.max(old.length, off + len));
          old.copy(next);
          data.copy(next, off);
          model.set(p, next);
        }
      } else if (op === 'truncate') {
        if (released.has(p)) continue;
        const size = r.chance(0.3) ? r.int(0, have!.length * 2) : BLKSIZE * r.int(0, Math.ceil(have!.length / BLKSIZE));
        if (process.env.CZ_TRACE) console.log(at, op, p, size, have!.length);
        truncatePath(vol, p, size);
        const next = Buffer.alloc(size);
        have!.copy(next, 0, 0, Math.min(size, have!.length));
        model.set(p, next);
        cuts++;
      } else if (op === 'unlink') {
        if (!have) continue;
        remove(vol, p);
        model.delete(p);
        released.delete(p);
      } else if (op === 'fsync') {
        if (!have) continue;
        const res = fsyncFile(vol, vol.resolve(p).ino);
        assert.is(res.method === 'checkpoint' && res.reason === 'compressed file', compressed(p), where(at, `fsync ${p}: ${res.method} ${res.reason}`));
      } else if (op === 'release') {
        if (!have || !compressed(p)) continue;
        const ino = vol.resolve(p).ino;
        if (released.has(p)) {
          reserveCompressBlocks(vol, ino);
          released.delete(p);
        } else {
          releaseCompressBlocks(vol, ino);
          released.add(p);
          releases++;
        }
      }
      
      if (at % EVERY === EVERY - 1) {
        writeCheckpoint(vol, { umount: true });
        vol.close();
        const both = fsckBoth(img);
        assert.equal(both.problems, [], where(at, both.problems.join('\n')));
        vol = Volume.open(img, { readOnly: false });
        for (const [q, want] of model) {
          const info = vol.inode(vol.resolve(q).ino);
          savedMax = Math.max(savedMax, info.extra!.i_compr_blocks);
          assert.is(info.inode.i_size, want.length, where(at, `size of ${q}`));
          const got = vol.data.read(info, 0, want.length);
          const diff = got.findIndex((b, k) => b !== want[k]);
          assert.is(diff, -1, where(at, `content of ${q} (${want.length} bytes) differs first at byte ${diff}`));
        }
      }
    }
    writeCheckpoint(vol, { umount: true });
    assert.ok(cuts > 10 && releases > 2, `truncates ${cuts}, releases ${releases}`);
    const comprBlocks = new Map([...model.keys()].map((q) => [q, vol.inode(vol.resolve(q).ino).extra!.i_compr_blocks]));
    assert.ok(savedMax > 0, 'some clusters were compressed');
    return { img, model, comprBlocks };
  } finally {
    vol.close();
  }
}

test.before(() => loadCompressors());

const runs: Session[] = [];
for (const seed of SEEDS) {
  test(`random session on compressed files, seed ${seed} (${OPS} ops): content as the model says, both fscks clean at each checkpoint`, () => {
    const s = session(seed);
    assert.equal(fsckBoth(s.img).problems, []);
    runs.push(s);
  });
}

test('Linux reads every file of the random sessions with the model content and our i_compr_blocks', async () => {
  const vm = vmAvailable();
  assert.ok(vm.ok, `VM not available: ${vm.why}`);
  const script = runs
    .map((_, i) => `echo @@disk ${i}@@; mount -t f2fs -o ro /dev/vd${'abcdefghijklmnopqrstuvwxyz'[i]} /mnt && cd /mnt && for f in $(find . -type f | sort); do echo "L|$f|$(md5sum < $f | cut -d' ' -f1)|$(f2fs_io get_cblocks $f 2>/dev/null | tr -d '\\n')"; done; cd /; umount /mnt; echo @@end@@`)
    .join('\n');
  const r = await runInVm({ disks: runs.map((s) => s.img), script, timeoutMs: 300_000 });
  runs.forEach((s, i) => {
    const sect = r.output.split(`@@disk ${i}@@`)[1]!.split('@@end@@')[0]!;
    const got = sect.split('\n').filter((l) => l.startsWith('L|')).sort();
    const want = [...s.model]
      .map(([q, data]) => {
        const c = s.comprBlocks.get(q)!;
        return `L|.${q}|${md5(data)}|${q.endsWith('.txt') || q.startsWith('/z/') ? c : ''}`;
      })
      .sort();
    assert.equal(got, want, `session ${i}`);
  });
});

test.run();
