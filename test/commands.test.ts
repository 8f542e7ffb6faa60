// The inspection commands: the table dumps against dump.f2fs (-n, -s, -a) and info against fsck.f2fs -l on the
// golden images, then each command's decoding (dump-cp, block, dump-node, bmap, icheck, ncheck), cat's streaming,
// argument parsing, and the programmatic runWith() path the shell uses.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Config } from '@oclif/core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fixtureListing, loadFixture } from '../fixtures/load.js';
import { parseRange } from '../src/cli/args.js';
import Cat from '../src/commands/cat.js';
import { COMMANDS } from '../src/commands/index.js';
import Ls from '../src/commands/ls.js';
import Stat from '../src/commands/stat.js';
import { F2fsError } from '../src/errors.js';
import { resolveFile } from '../src/debugfs/filespec.js';
import { bmap, bmapOne, bmapRuns, fileNodes } from '../src/debugfs/inode.js';
import { icheck, ncheck } from '../src/debugfs/reverse.js';
import { dumpNat } from '../src/debugfs/tables.js';
import { NEW_ADDR } from '../src/fs/layout/constants.js';
import { Inode } from '../src/fs/layout/node.js';
import { Volume } from '../src/fs/volume.js';
import type { InodeInfo } from '../src/fs/inode.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RUN = path.join(ROOT, 'bin/run.js');
const FIXTURES = ['default', 'extra'] as const;
const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');

function cli(args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [RUN, ...args], { encoding: 'utf8', maxBuffer: 256 << 20 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function json(args: string[]) {
  const r = cli([...args, '--json']);
  assert.is(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** dump.f2fs -n/-s/-a over everything, run on a private copy in a temp dir (it writes ./dump_* in its cwd). */
function runDumpF2fs(image: string): { nat: string; sit: string; ssa: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'f2fsdbg-dumpf2fs-'));
  try {
    const copy = path.join(dir, 'image');
    fs.copyFileSync(image, copy);
    execFileSync('dump.f2fs', ['-n', '0~-1', '-s', '0~-1', '-a', '0~-1', copy], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
    return { nat: read('dump_nat'), sit: read('dump_sit'), ssa: read('dump_ssa') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const reference = new Map<string, ReturnType<typeof runDumpF2fs>>();
async function dumpF2fs(name: string) {
  if (!reference.has(name)) reference.set(name, runDumpF2fs(await loadFixture(name)));
  return reference.get(name)!;
}

// ---- the tables against dump.f2fs ----

for (const name of FIXTURES) {
  test(`${name}: dump-nat --json lists exactly dump.f2fs -n's nids, with ino, footer offset, blkaddr and NAT copy`, async () => {
    const img = await loadFixture(name);
    const ref = (await dumpF2fs(name)).nat
      .trim()
      .split('\n')
      .map((l) => {
        const m = /^nid:\s*(\d+)\tino:\s*(\d+)\toffset:\s*(\d+)\tblkaddr:\s*(\d+)\tpack:(\d)$/.exec(l);
        assert.ok(m, `unparsed dump_nat line: ${l}`);
        return { nid: Number(m![1]), ino: Number(m![2]), offset: Number(m![3]), blkaddr: Number(m![4]), pack: Number(m![5]) };
      });
    assert.ok(ref.length > 2900, `${ref.length} NAT entries`);
    const j = json(['dump-nat', img]);
    assert.equal(j.range, { start: 0, end: j.range.end });
    // dump.f2fs leaves out nids 1 and 2 (node and meta inode: {ino 1/2, blkaddr 1}).
    const ours = j.entries.filter((e: { nid: number }) => e.nid >= 3);
    assert.equal(
      j.entries.filter((e: { nid: number }) => e.nid < 3).map((e: { nid: number; blkaddr: number }) => [e.nid, e.blkaddr]),
      [
        [1, 1],
        [2, 1],
      ],
    );
    assert.is(ours.length, ref.length);
    const bad = ref.filter((r, i) => JSON.stringify(r) !== JSON.stringify({ nid: ours[i].nid, ino: ours[i].ino, offset: ours[i].offset, blkaddr: ours[i].blkaddr, pack: ours[i].pack }));
    assert.equal(bad.slice(0, 5), []);
    // A range is A~B with B excluded, like dump.f2fs.
    const part = json(['dump-nat', img, '--range', '28~34']);
    assert.equal(
      part.entries.map((e: { nid: number }) => e.nid),
      ref.filter((r) => r.nid >= 28 && r.nid < 34).map((r) => r.nid),
    );
    const all = json(['dump-nat', img, '--range', '0~455', '--all']);
    assert.is(all.count, 454, 'nids 1..454 of NAT block 0, free ones included');
  });

  test(`${name}: dump-sit --json agrees with dump.f2fs -s on every segment (vblocks, type, SIT copy, valid map, totals)`, async () => {
    const img = await loadFixture(name);
    const text = (await dumpF2fs(name)).sit;
    const ref = [...text.matchAll(/segno:\s*(\d+)\tvblocks:\s*(\d+)\tseg_type:(\d)\tsit_pack:(\d)\n\n((?:(?:  [0-9a-f]{2}){16}\n){4})?/g)].map((m) => ({
      segno: Number(m[1]),
      vblocks: Number(m[2]),
      type: Number(m[3]),
      pack: Number(m[4]),
      map: m[5] ? m[5].replace(/\s+/g, '') : null,
    }));
    const totals = /valid_blocks:\[0x([0-9a-f]+)\]\tvalid_segs:(\d+)\t free_segs:(\d+)/.exec(text)!;
    const j = json(['dump-sit', img]);
    assert.is(ref.length, j.segments.length);
    assert.ok(ref.length >= 56);
    for (const [i, r] of ref.entries()) {
      const s = j.segments[i];
      assert.equal([s.segno, s.vblocks, s.type, s.pack], [r.segno, r.vblocks, r.type, r.pack], `segment ${r.segno}`);
      if (r.map) assert.is(s.validMap, r.map, `valid map of segment ${r.segno}`);
      else assert.is(s.validMap, '0'.repeat(128));
    }
    assert.equal(j.totals, { validBlocks: Number.parseInt(totals[1], 16), validSegments: Number(totals[2]), freeSegments: Number(totals[3]) });
  });

  test(`${name}: dump-ssa --json agrees with dump.f2fs -a on every entry of every segment`, async () => {
    const img = await loadFixture(name);
    const text = (await dumpF2fs(name)).ssa;
    const ref = text
      .split(/\n\nsegno: /)
      .slice(1)
      .map((chunk) => {
        const head = /^([0-9a-f]+), (Current Node|Current Data|Node|Data)\n/.exec(chunk)!;
        const nids = [...chunk.matchAll(/\[\s*(\d+):\s*([0-9a-f]+)\]/g)].map((m) => Number.parseInt(m[2], 16));
        return { segno: Number.parseInt(head[1], 16), what: head[2], nids };
      });
    const j = json(['dump-ssa', img]);
    assert.is(j.segments.length, ref.length);
    for (const [i, r] of ref.entries()) {
      const s = j.segments[i];
      const what = `${s.curseg ? 'Current ' : ''}${s.entryType === 'node' ? 'Node' : 'Data'}`;
      assert.equal([s.segno, what], [r.segno, r.what], `segment ${r.segno}`);
      assert.is(r.nids.length, 512);
      assert.equal(
        s.entries.map((e: { nid: number }) => e.nid),
        r.nids,
        `entries of segment ${r.segno}`,
      );
    }
    // Humans: non-zero entries only (unless --all).
    const h = cli(['dump-ssa', img, '--range', '0']);
    const nonZero = ref[0].nids.filter((n) => n !== 0).length;
    assert.match(h.stdout, new RegExp(`^segno 0 \\(0x0\\): current node segment, .*, ${nonZero} non-zero entries$`, 'm'));
    assert.is(h.stdout.trim().split('\n').length, 2 + nonZero);
    assert.is(cli(['dump-ssa', img, '--range', '0', '--all']).stdout.trim().split('\n').length, 2 + 512);
  });

  test(`${name}: info --json has every field fsck.f2fs -l prints, with its value`, async () => {
    const img = await loadFixture(name);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'f2fsdbg-fsckl-'));
    let out: string;
    try {
      const copy = path.join(dir, 'image');
      fs.copyFileSync(img, copy);
      out = execFileSync('fsck.f2fs', ['-l', copy], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const j = json(['info', img]);
    const sb = j.superblock;
    const cp = j.checkpoint;
    const logs = cp.cursegs as { segno: number; blkoff: number; alloc_type: string }[];
    let inCheckpoint = false;
    let compared = 0;
    for (const line of out.split('\n')) {
      const m = /^([a-z_0-9]+(?:\[[A-Z_0-9]+\])?|Filesystem volume name):\s+(.*?)\s*$/.exec(line);
      if (!m) continue;
      const [, key, value] = m;
      if (key === 'checkpoint_ver') inCheckpoint = true;
      const num = Number(value);
      let ours: unknown;
      const arr = /^(cur_node_segno|cur_node_blkoff|cur_data_segno|cur_data_blkoff)\[(\d)\]$/.exec(key);
      const alloc = /^alloc_type\[CURSEG_(HOT|WARM|COLD)_(NODE|DATA)\]$/.exec(key);
      if (key === 'Filesystem volume name') ours = sb.volume_name;
      else if (arr) {
        const log = logs[(arr[1].startsWith('cur_node') ? 3 : 0) + Number(arr[2])];
        ours = arr[1].endsWith('segno') ? log.segno : log.blkoff;
      } else if (alloc) ours = logs[(alloc[2] === 'NODE' ? 3 : 0) + ['HOT', 'WARM', 'COLD'].indexOf(alloc[1])].alloc_type === 'ssr' ? 1 : 0;
      else if (key.startsWith('sit_nat_version_bitmap')) continue;
      else ours = inCheckpoint ? cp[key] : sb[key];
      const theirs = key === 'Filesystem volume name' ? value : key === 'checkpoint_ver' ? value : num;
      assert.equal(ours, theirs, `${key}: ours ${JSON.stringify(ours)}, fsck.f2fs -l ${value}`);
      compared++;
    }
    assert.ok(compared >= 60, `${compared} fields compared`);
    assert.is(j.cursegs.length, 6);
    assert.equal(j.cursegs, logs, 'a fresh open: the session logs are the checkpoint ones');
  });
}

// ---- decoding commands ----

test('dump-cp: both packs, the newer chosen, --pack 1, crc, summaries and nat_bits where block says they are', async () => {
  const img = await loadFixture('default');
  const j = json(['dump-cp', img]);
  assert.equal(
    j.packs.map((p: { valid: boolean }) => p.valid),
    [true, true],
  );
  assert.is(j.pack, 2);
  assert.is(j.chosen, true);
  assert.is(BigInt(j.head.checkpoint_ver), BigInt(j.packs[0].checkpoint_ver) + 1n);
  assert.is(j.crc.stored, j.crc.computed);
  assert.ok(j.flags.includes('umount') && j.flags.includes('compact_sum'));
  assert.equal(j.orphans.inos, []);
  assert.is(j.summaries.form, 'compact');
  assert.is(j.summaries.node.length, 3);
  assert.is(j.bitmaps.nat.bytes, 64);
  const p1 = json(['dump-cp', img, '--pack', '1']);
  assert.is(p1.pack, 1);
  assert.is(p1.chosen, false);
  assert.is(p1.head.checkpoint_ver, j.packs[0].checkpoint_ver);
  const role = (b: number) => json(['block', img, String(b)]).cp.role;
  assert.is(role(j.blkaddr), 'cp-head');
  assert.is(role(j.tail), 'cp-tail');
  assert.is(role(j.summaries.data[0]), 'compact-summary');
  assert.is(role(j.summaries.node[1]), 'node-summary');
  assert.is(role(j.natBits.blkaddr), 'nat-bits');
  assert.is(cli(['dump-cp', img, '--pack', '3']).status, 2);
  const h = cli(['dump-cp', img]);
  assert.match(h.stdout, /^Checkpoint pack 2 at blkaddr \d+ \(in use\): valid$/m);
  assert.match(h.stdout, /^ckpt_flags\s+0x[0-9a-f]+\s+umount/m);
});

test('block: superblock, SIT, NAT, SSA, an inode, a dentry block, a data block; --hex', async () => {
  const img = await loadFixture('extra');
  const listing = fixtureListing('extra');
  const sb = json(['block', img, '0']);
  assert.equal([sb.area, sb.kind, sb.copy, sb.magicOk, sb.superblock.uuid], ['superblock', 'superblock', 0, true, '6b1a9f2e-0d5c-4f4e-9a57-2a3c0f2d1e02']);
  const info = json(['info', img]).superblock;
  const nat = json(['block', img, String(info.nat_blkaddr)]);
  assert.is(nat.kind, 'nat');
  const root = nat.entries.find((e: { nid: number }) => e.nid === 3);
  const natRoot = json(['dump-nat', img, '--range', '3']).entries[0];
  if (nat.current) assert.is(root.blkaddr, natRoot.blkaddr);
  // The current copy of NAT block 0 has the root where dump-nat says.
  const cur = json(['block', img, String(natRoot.natBlkaddr)]);
  assert.is(cur.current, true);
  assert.is(cur.entries.find((e: { nid: number }) => e.nid === 3).blkaddr, natRoot.blkaddr);
  const sit = json(['block', img, String(info.sit_blkaddr)]);
  assert.equal([sit.kind, sit.sitBlock, sit.firstSegno], ['sit', 0, 0]);
  const ssa = json(['block', img, String(info.ssa_blkaddr + 20)]);
  assert.equal([ssa.kind, ssa.segno], ['ssa', 20]);
  // The root inode, found through the NAT.
  const node = json(['block', img, String(natRoot.blkaddr)]);
  assert.equal([node.kind, node.owner.kind, node.owner.ino, node.owner.verified, node.node.kind, node.node.inode.ino], ['node', 'node', 3, true, 'inode', 3]);
  assert.equal(node.node.problems, []);
  // The root's dentry block lists the root's children.
  const rootMap = json(['bmap', img, '/']);
  const dent = json(['block', img, String(rootMap.entries[0].blkaddr)]);
  assert.equal([dent.kind, dent.owner.ino, dent.owner.verified], ['data', 3, true]);
  const names = dent.dentries.map((d: { name: string }) => d.name).filter((n: string) => n !== '.' && n !== '..');
  assert.equal(names.sort(), listing.filter((e) => e.path !== '/' && e.path.lastIndexOf('/') === 0).map((e) => e.path.slice(1)).sort());
  // A file block: owner and file block index.
  const s8193 = json(['bmap', img, '/small/s8193']);
  const b2 = json(['block', img, String(s8193.entries[2].blkaddr), '--hex']);
  assert.equal([b2.kind, b2.owner.ino, b2.owner.bidx, b2.dentries], ['data', listing.find((e) => e.path === '/small/s8193')!.ino, 2, null]);
  assert.is(b2.hex.length, 8192);
  const h = cli(['block', img, String(s8193.entries[2].blkaddr), '--hex']);
  assert.match(h.stdout, /^[0-9a-f]{8}: [0-9a-f ]{39}  .{16}$/m);
  // The last block of the device, and one past it.
  assert.is(json(['block', img, String(info.block_count - 1)]).area, 'main');
  assert.is(cli(['block', img, String(info.block_count)]).status, 1);
});

test('dump-node: an inode, a direct, an indirect and an xattr node', async () => {
  const img = await loadFixture('default');
  const vol = Volume.open(img, { readOnly: true });
  const dense = resolveFile(vol, '/big/dense_16m').info;
  const big = resolveFile(vol, '/xattr/big').info;
  const denseNids = Inode.decode(dense.page.raw).i_nid;
  const [d0, , ind] = denseNids;
  const addrsPerInode = dense.addrsPerInode;
  vol.close();
  const i = json(['dump-node', img, String(dense.ino)]);
  assert.equal([i.kind, i.inode.size, i.nids.map((x: { nid: number }) => x.nid)], ['inode', 16777316, denseNids.filter(Boolean)]);
  assert.is(i.addrs.length, addrsPerInode);
  const d = json(['dump-node', img, String(d0)]);
  assert.equal([d.kind, d.firstBidx, d.addrs.length, d.addrs[0].bidx, d.footer.ino, d.footer.ofs], ['direct', addrsPerInode, 1018, addrsPerInode, dense.ino, 1]);
  const n = json(['dump-node', img, `0x${ind.toString(16)}`]);
  assert.equal([n.kind, n.footer.ofs, n.nids.length], ['indirect', 3, 2]);
  const x = json(['dump-node', img, String(big.inode.i_xattr_nid)]);
  assert.equal([x.kind, x.owner, x.xattrs.map((a: { name: string }) => a.name)], ['xattr', big.ino, ['user.big']]);
  assert.equal(x.problems, []);
  const h = cli(['dump-node', img, String(d0)]);
  assert.match(h.stdout, new RegExp(`^direct node, first file block ${addrsPerInode}, 1018 addresses:$`, 'm'));
});

test('dump-node 1 and 2: the node and meta inodes shown as what they are, not as corruption', async () => {
  const img = await loadFixture('default');
  const n = cli(['dump-node', img, '1']);
  assert.is(n.status, 0, n.stderr);
  assert.match(n.stdout, /nid 1, the node inode: .* no node block on disk/);
  const m = json(['dump-node', img, '2']);
  assert.equal([m.kind, m.nat.block_addr], ['meta-inode', 1]);
});

test('bmap, icheck and ncheck agree with each other over a whole file', async () => {
  const img = await loadFixture('default');
  const listing = fixtureListing('default');
  const vol = Volume.open(img, { readOnly: true });
  try {
    const { info, ino } = resolveFile(vol, '/big/dense_16m');
    const map = bmap(vol, info);
    assert.is(map.length, Math.ceil(info.inode.i_size / 4096));
    assert.equal(
      map.map((m) => m.bidx),
      map.map((_, i) => i),
    );
    for (const m of map) {
      const o = icheck(vol, m.blkaddr);
      assert.ok(o.kind === 'data' && o.verified && o.ino === ino && o.bidx === m.bidx, `block ${m.blkaddr}: ${JSON.stringify(o)}`);
    }
    for (const n of fileNodes(vol, info)) {
      const o = icheck(vol, n.blkaddr);
      assert.ok(o.kind === 'node' && o.verified && o.ino === ino && o.nid === n.nid, `node ${n.nid}: ${JSON.stringify(o)}`);
    }
    const runs = bmapRuns(map);
    assert.is(
      runs.reduce((a, r) => a + r.len, 0),
      map.length,
    );
    // Holes, reservations, inline data.
    const holey = resolveFile(vol, '/holes/holey').info;
    assert.equal(
      bmap(vol, holey).map((m) => m.bidx),
      [0, 5, 10, 11],
    );
    assert.is(bmapOne(vol, holey, 3).kind, 'hole');
    assert.is(bmapOne(vol, holey, 5).kind, 'block');
    const pre = bmap(vol, resolveFile(vol, '/holes/prealloc').info);
    assert.equal([pre.length, pre.every((m) => m.kind === 'new' && m.blkaddr === NEW_ADDR)], [16, true]);
    assert.equal(bmapRuns(pre), [{ bidx: 0, len: 16, blkaddr: NEW_ADDR, kind: 'new' }]);
    assert.is(bmapOne(vol, resolveFile(vol, '/small/hello.txt').info, 0).kind, 'inline');
    const sparse = bmap(vol, resolveFile(vol, '/sparse/sparse_9g').info);
    assert.equal(
      sparse.map((m) => m.bidx),
      [0, 1000, 5000, 1500000, 2359296, 2359297],
    );
    // SEEK_DATA agrees with bmap: from any block, the next mapped one (NEW_ADDR included), null past the last.
    const sparseInfo = resolveFile(vol, '/sparse/sparse_9g').info;
    const seek = (i: InodeInfo, from: number) => vol.data.seekData(i, from, Number.MAX_SAFE_INTEGER);
    assert.equal([1, 999, 1001, 5001, 1500001, 2359297, 2359298].map((b) => seek(sparseInfo, b)), [1000, 1000, 5000, 1500000, 2359296, 2359297, null]);
    assert.equal([0, 1, 6, 11, 12].map((b) => seek(holey, b)), [0, 5, 10, 11, null]);
    assert.is(vol.data.seekData(sparseInfo, 5001, 1500000), null, 'the end bounds the search');
    assert.is(seek(resolveFile(vol, '/holes/prealloc').info, 3), 3);
    // ncheck: every hard link of orig.txt, and a directory.
    const orig = listing.find((e) => e.path === '/links/orig.txt')!;
    const paths = ncheck(vol, [orig.ino, 3, 999999]);
    assert.equal(paths.get(orig.ino)!.sort(), listing.filter((e) => e.ino === orig.ino).map((e) => e.path).sort());
    assert.equal(paths.get(3), ['/']);
    assert.equal(paths.get(999999), []);
    // Free, metadata and out-of-range addresses.
    assert.is(icheck(vol, vol.geo.mainEnd - 1).kind, 'free');
    assert.is(icheck(vol, vol.geo.natBlkaddr).kind, 'metadata');
    assert.throws(() => icheck(vol, vol.geo.blockCount), (e: unknown) => e instanceof F2fsError && e.code === 'EINVAL');
  } finally {
    vol.close();
  }
});

test('CLI: bmap, icheck and ncheck', async () => {
  const img = await loadFixture('default');
  const listing = fixtureListing('default');
  const b = json(['bmap', img, '/holes/holey']);
  assert.equal(
    b.entries.map((e: { bidx: number }) => e.bidx),
    [0, 5, 10, 11],
  );
  const one = json(['bmap', img, '/holes/holey', '10']);
  assert.equal([one.block.kind, one.block.blkaddr], ['block', b.entries[2].blkaddr]);
  const h = cli(['bmap', img, '/big/dense_16m']);
  assert.match(h.stdout, /^inode \d+: 4097 mapped blocks in \d+ runs, size 16777316$/m);
  const ic = json(['icheck', img, String(b.entries[0].blkaddr), `0x${b.entries[1].blkaddr.toString(16)}`]);
  const holey = listing.find((e) => e.path === '/holes/holey')!;
  assert.equal(
    ic.blocks.map((x: { ino: number; bidx: number; verified: boolean }) => [x.ino, x.bidx, x.verified]),
    [
      [holey.ino, 0, true],
      [holey.ino, 5, true],
    ],
  );
  const orig = listing.find((e) => e.path === '/links/orig.txt')!;
  const nc = json(['ncheck', img, String(orig.ino), String(holey.ino)]);
  assert.equal(nc.inodes[1], { ino: holey.ino, paths: ['/holes/holey'] });
  assert.is(nc.inodes[0].paths.length, 3);
  const t = cli(['ncheck', img, String(holey.ino)]);
  assert.match(t.stdout, new RegExp(`^\\s*${holey.ino}  /holes/holey$`, 'm'));
});

test('CLI: cat into a closed pipe stops quietly with status 0', async () => {
  const img = await loadFixture('default');
  const r = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${RUN}" cat "${img}" /big/dense_16m | head -c 100 | wc -c`], { encoding: 'utf8' });
  assert.is(r.stdout.trim(), '100');
  assert.is(r.stderr, '');
  assert.is(r.status, 0);
});

test('CLI: --help lists every inspection command', () => {
  const r = cli(['--help']);
  assert.is(r.status, 0);
  for (const id of ['info', 'dump-cp', 'dump-nat', 'dump-sit', 'dump-ssa', 'dump-node', 'block', 'ls', 'stat', 'cat', 'readlink', 'xattr-list', 'xattr-get', 'bmap', 'icheck', 'ncheck', 'dump', 'rdump']) {
    assert.ok(id in COMMANDS, `${id} registered`);
    assert.match(r.stdout, new RegExp(`^\\s+${id}\\s+\\S`, 'm'), `${id} in --help`);
  }
});

// ---- programmatic use on a shared volume (the shell) ----

test('runWith on an open volume: ls, stat and cat print through the context, the volume stays open', async () => {
  const config = await Config.load({ root: ROOT, pjson: { name: 'f2fsdbg', version: '0.0.0', oclif: { bin: 'f2fsdbg' } } as never });
  const vol = Volume.open(await loadFixture('default'), { readOnly: true });
  try {
    const out: string[] = [];
    const ctx = { config, vol, stdout: (s: string) => out.push(s), stderr: (s: string) => out.push(`ERR ${s}`) };
    const l = await Ls.runWith(ctx, ['/a']);
    assert.is(l.status, 0);
    assert.equal(
      out
        .join('\n')
        .split('\n')
        .map((s) => s.trim().split(/\s+/).pop()),
      ['.', '..', 'b', 'file_a.txt'],
    );
    out.length = 0;
    const c = await Cat.runWith(ctx, ['/small/hello.txt']);
    assert.is(c.status, 0);
    assert.is(md5(`${out.join('\n')}\n`), fixtureListing('default').find((e) => e.path === '/small/hello.txt')!.md5);
    out.length = 0;
    const s = await Stat.runWith(ctx, ['<3>', '--json']);
    assert.is(s.status, 0);
    assert.is(JSON.parse(out.join('\n')).type, 'directory');
    out.length = 0;
    const bad = await Stat.runWith(ctx, ['/nope']);
    assert.is(bad.status, 1);
    assert.match(out[0], /^ERR f2fsdbg: ENOENT: /);
    assert.is(vol.sb.root_ino, 3, 'volume still usable');
  } finally {
    vol.close();
  }
});

test('parseRange: dump.f2fs syntax, end excluded, -1 and empty mean the end', () => {
  assert.equal(parseRange(undefined, 56, 'segment'), { start: 0, end: 56 });
  assert.equal(parseRange('0~-1', 56, 'segment'), { start: 0, end: 56 });
  assert.equal(parseRange('3~', 56, 'segment'), { start: 3, end: 56 });
  assert.equal(parseRange('3~10', 56, 'segment'), { start: 3, end: 10 });
  assert.equal(parseRange('7', 56, 'segment'), { start: 7, end: 8 });
  assert.equal(parseRange('0x10~0x20', 56, 'segment'), { start: 16, end: 32 });
  assert.equal(parseRange('50~100', 56, 'segment'), { start: 50, end: 56 });
  for (const bad of ['x', '5~x', '10~3', '56', '-3']) assert.throws(() => parseRange(bad, 56, 'segment'), (e: unknown) => e instanceof F2fsError && e.code === 'USAGE', bad);
});

test('dumpNat with footers reads each node block once and agrees with the NAT', async () => {
  const vol = Volume.open(await loadFixture('extra'), { readOnly: true });
  try {
    const all = dumpNat(vol, 0, vol.geo.maxNid - 1, false, { footers: true });
    assert.is(all.filter((e) => e.nid >= 3).length, vol.cp.head.valid_node_count);
    for (const e of all.filter((x) => x.nid >= 3)) assert.is(e.offset === 0, e.ino === e.nid, `nid ${e.nid}: offset ${e.offset}`);
  } finally {
    vol.close();
  }
});

test.run();
