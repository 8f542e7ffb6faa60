// bmap IMAGE FILESPEC [BLOCK]: file block -> block address and the node slot holding it; without BLOCK, the whole map.

import { VolumeCommand, imageArg } from '../cli/base.js';
import { filespecArg, numberArg } from '../cli/args.js';
import { columns, kv } from '../cli/render.js';
import { hasInlineData, hasInlineDentry } from '../fs/inode.js';
import { resolveFile } from '../debugfs/filespec.js';
import { bmap, bmapOne, bmapRuns, type BmapEntry, type BmapRun } from '../debugfs/inode.js';
import type { Volume } from '../fs/volume.js';

export type BmapResult =
  | { ino: number; size: number; inline: boolean; mapped: number; entries: BmapEntry[]; runs: BmapRun[] }
  | { ino: number; size: number; block: ReturnType<typeof bmapOne> };

export default class Bmap extends VolumeCommand<typeof Bmap, BmapResult> {
  static override summary = 'Map file blocks to block addresses, with the node slot (nid, offset) holding each.';
  static override description =
    'With BLOCK (a file block index), that block: its address, a hole, a NEW_ADDR reservation or inline data, and where its slot is. Without, every mapped block (humans: as runs). FILESPEC is not followed when a symlink.';
  static override examples = ['<%= config.bin %> bmap disk.img /big/file', '<%= config.bin %> bmap disk.img /big/file 1000 --json'];
  static override args = { image: imageArg(), filespec: filespecArg(), block: numberArg({ description: 'file block index (4 KiB units)' }) };

  protected async execute(vol: Volume): Promise<BmapResult> {
    const { ino, info } = resolveFile(vol, this.args.filespec, { follow: false });
    const size = info.inode.i_size;
    if (this.args.block !== undefined) return { ino, size, block: bmapOne(vol, info, this.args.block) };
    const entries = bmap(vol, info);
    return { ino, size, inline: hasInlineData(info) || hasInlineDentry(info), mapped: entries.length, entries, runs: bmapRuns(entries) };
  }

  protected override render(r: BmapResult): void {
    if ('block' in r) {
      const b = r.block;
      const what =
        b.kind === 'block'
          ? String(b.blkaddr)
          : b.kind === 'new'
            ? 'NEW_ADDR (reserved: zeros, or saved by a compressed cluster)'
            : b.kind === 'compress'
              ? 'COMPRESS_ADDR (a compressed cluster starts here: compress-stats shows it)'
              : b.kind === 'hole'
                ? 'hole (reads as zeros)'
                : 'inline data (in the inode block)';
      this.out(
        kv([
          ['file block', `${b.bidx}${b.pastEof ? ' (past end of file)' : ''}`],
          ['blkaddr', what],
          ['slot', b.nid === null ? '-' : `node ${b.nid}${b.ofsInNode === null ? '' : ` slot ${b.ofsInNode}`} at blkaddr ${b.nodeBlkaddr}`],
          ['depth', b.level],
        ]),
      );
      return;
    }
    if (r.inline) {
      this.out(`inode ${r.ino}: inline (${r.size} bytes in the inode block), no data blocks`);
      return;
    }
    this.out(`inode ${r.ino}: ${r.mapped} mapped blocks in ${r.runs.length} runs, size ${r.size}`);
    if (r.runs.length) {
      const span = (a: number, n: number) => (n === 1 ? String(a) : `${a}..${a + n - 1}`);
      this.out(columns(['file blocks', 'blkaddr', 'count'], r.runs.map((x) => [span(x.bidx, x.len), x.kind === 'new' ? 'NEW_ADDR' : x.kind === 'compress' ? 'COMPRESS_ADDR' : span(x.blkaddr, x.len), x.len]), { alignRight: [2] }));
    }
  }
}
