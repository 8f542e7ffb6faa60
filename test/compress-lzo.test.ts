// Writing with every algorithm Linux 6.1 offers: LZO and LZO-RLE (our LZO1X-1 compressor) and LZ4HC levels
// (compress_algorithm=lz4:N), through the CLI with cluster sizes 4 to 32 and checksums; clusters that compress are
// compressed, both fscks are clean, and Linux (qemu) reads every file with the same content and i_compr_blocks.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveFile } from '../src/debugfs/filespec.js';
import { clusterState, compressAttrs, forEachCluster } from '../src/fs/compress.js';
import { CompressAlgorithm } from '../src/fs/layout/compress.js';
import { BLKSIZE } from '../src/fs/layout/constants.js';
import { Volume } from '../src/fs/volume.js';
import { cli, cliOk } from './helpers/cli.js';
import { fsckBoth } from './helpers/fsck.js';
import { runInVm, vmAvailable } from './helpers/vm.js';
import { noiseBytes, textBytes } from '../fixtures/make-compress.js';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'f2fsdbg-compress-lzo-'));
const img = path.join(dir, 'l.img');
const DATA: Record<string, Buffer> = {
  text: textBytes(300_000),
  mixed: Buffer.concat(Array.from({ length: 8 }, (_, i) => (i % 2 ? noiseBytes(16384, i + 1) : textBytes(16384)))),
  zeros: Buffer.alloc(200_000),
  // Zero runs between text: what LZO-RLE's runs are for (we need not emit them; Linux reads either).
  holes: Buffer.concat(Array.from({ length: 10 }, (_, i) => (i % 2 ? Buffer.alloc(12_000) : textBytes(9_000)))),
};
/** --compress-algorithm, --compress-log-size, --compress-chksum, the algorithm number, the level stored. */
const CASES: [string, number, boolean, number, number][] = [
  ['lzo', 2, false, CompressAlgorithm.LZO, 0],
  ['lzo', 4, true, CompressAlgorithm.LZO, 0],
  ['lzo-rle', 3, false, CompressAlgorithm.LZORLE, 0],
  ['lzo-rle', 5, true, CompressAlgorithm.LZORLE, 0],
  ['lz4:3', 2, false, CompressAlgorithm.LZ4, 3],
  ['lz4:9', 4, true, CompressAlgorithm.LZ4, 9],
  ['lz4:16', 3, false, CompressAlgorithm.LZ4, 16],
];
const files = new Map<string, Buffer>();

test('write with lzo, lzo-rle and lz4 levels: compressed clusters, the inode records algorithm and level, both fscks clean', () => {
  cliOk(['mkfs', img, '--size', '128M', '--features', 'extra_attr,inode_checksum,flexible_inline_xattr,compression']);
  for (const [algo, log, chksum, num, level] of CASES) {
    const d = `/${algo.replace(':', '-')}-${log}`;
    cliOk(['mkdir', img, d]);
    for (const [name, data] of Object.entries(DATA)) {
      const host = path.join(dir, name);
      fs.writeFileSync(host, data);
      const p = `${d}/${name}.txt`;
      cliOk(['write', img, p, '--from', host, '--compress-ext', 'txt', '--compress-algorithm', algo, '--compress-log-size', String(log), ...(chksum ? ['--compress-chksum'] : [])]);
      files.set(p, data);
    }
    const vol = Volume.open(img, { readOnly: true });
    try {
      for (const name of Object.keys(DATA)) {
        const { info } = resolveFile(vol, `${d}/${name}.txt`);
        const a = compressAttrs(info)!;
        assert.equal([a.algorithm, a.logClusterSize, a.chksum, a.level], [num, log, chksum, level], `${d}/${name}.txt attributes`);
        let compressed = 0;
        forEachCluster(a, 0, Math.ceil(info.inode.i_size / BLKSIZE), (s, e, v) => vol.data.walk(info, s, e, v), (c) => void (compressed += clusterState(c.addrs).compressed ? 1 : 0));
        if ((name !== 'mixed' || log === 2) && info.inode.i_size >= BLKSIZE << log) assert.ok(compressed > 0, `${d}/${name}.txt has compressed clusters`);
        assert.is(md5(vol.data.read(info, 0, info.inode.i_size)), md5(DATA[name]!), `${d}/${name}.txt content`);
      }
    } finally {
      vol.close();
    }
  }
  assert.match(cli(['write', img, '/x.txt', '--data', 'x', '--compress-ext', 'txt', '--compress-algorithm', 'lzo:3']).stderr, /lzo takes no level/);
  assert.equal(fsckBoth(img).problems, []);
});

test('Linux 6.1 reads every file written with lzo, lzo-rle and lz4 levels, with our i_compr_blocks', async () => {
  const vm = vmAvailable();
  assert.ok(vm.ok, `VM not available: ${vm.why}`);
  const vol = Volume.open(img, { readOnly: true });
  const ours = new Map([...files.keys()].map((p) => [p, compressAttrs(resolveFile(vol, p).info)!.comprBlocks]));
  vol.close();
  const script = ['set -e', 'mount -t f2fs -o ro /dev/vda /mnt', ...[...files.keys()].map((p) => `echo "F ${p} $(md5sum < /mnt${p} | cut -d' ' -f1) $(f2fs_io get_cblocks /mnt${p})"`), 'umount /mnt'].join('\n');
  const r = await runInVm({ disks: [img], script, timeoutMs: 300_000 });
  assert.is(r.status, 0, r.output + r.dmesg);
  const got = [...files.keys()].map((p) => new RegExp(`^F ${p} (\\S+) (\\d+)$`, 'm').exec(r.output)?.slice(1).join(' ') ?? 'missing');
  assert.equal(got, [...files].map(([p, data]) => `${md5(data)} ${ours.get(p)}`));
  assert.not.match(r.dmesg, /F2FS-fs.*(decompress|checksum invalid|inconsistent|run fsck)/i);
});

test.run();
