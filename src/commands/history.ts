// history IMAGE FILESPEC: the copies of an inode (and its other node blocks) still on disk, oldest first.

import { VolumeCommand, imageArg } from '../cli/base.js';
import { type ProgressLine } from '../cli/progress.js';
import { filespecArg } from '../cli/args.js';
import { columns } from '../cli/render.js';
import { history, indexNodes, type CopySummary, type HistoryResult, type NodeIndex } from '../debugfs/history.js';
import { fail } from '../errors.js';
import { resolveFile } from '../debugfs/filespec.js';
import { shortTime } from '../debugfs/time.js';
import { parseInoSpec } from '../fs/namei.js';
import type { Volume } from '../fs/volume.js';

export interface HistoryCmdResult extends HistoryResult {
  scan: { blocksScanned: number; nodeBlocks: number; ms: number };
}

/** The node index of the whole main area, with a progress line (history, lsdel, undel). */
export function indexWithProgress(vol: Volume, bar: ProgressLine | undefined): NodeIndex {
  try {
    return indexNodes(vol, bar && ((done, total) => bar.update(done, total, 'segments')));
  } finally {
    bar?.end();
  }
}

/** `<ino>` names any inode, deleted ones too; a path must resolve in the live tree. */
export function inoOf(vol: Volume, spec: string): number {
  const n = parseInoSpec(spec);
  if (n === null) return resolveFile(vol, spec).ino;
  if (n < vol.sb.root_ino || n >= vol.geo.maxNid) fail('EINVAL', `inode ${n} is out of range [${vol.sb.root_ino}, ${vol.geo.maxNid})`);
  return n;
}

/** Rows shared by history and lsdel. */
export function copyRows(list: CopySummary[]): (string | number)[][] {
  return list.map((c) => [
    c.ino,
    c.blkaddr,
    c.cpVer,
    c.current ? 'live' : c.valid ? 'valid' : 'old',
    c.type,
    c.size,
    c.links,
    shortTime(c.mtime, true),
    c.content.blocks ? `${c.content.intact + c.content.shared}/${c.content.blocks}${c.content.reused ? ` (${c.content.reused} reused)` : ''}` : 'inline',
    c.name,
  ]);
}
export const COPY_HEAD = ['ino', 'blkaddr', 'cp', 'state', 'type', 'size', 'links', 'mtime', 'blocks ok', 'name'];

export default class History extends VolumeCommand<typeof History, HistoryCmdResult> {
  static override summary = 'List the earlier copies of an inode still on disk (F2FS writes out of place): checkpoint version, size, blocks still intact.';
  static override description =
    'One pass over the main area indexes every node block by ino. FILESPEC is a path or <ino> (a deleted inode too). Each inode copy shows the checkpoint it was written under, ' +
    'whether it is the live one, its size and mtime, and how many of its data blocks are still as it left them (undel --node BLKADDR restores a copy).';
  static override examples = ['<%= config.bin %> history disk.img /etc/passwd', '<%= config.bin %> history disk.img "<42>" --json'];
  static override args = { image: imageArg(), filespec: filespecArg() };

  protected async execute(vol: Volume): Promise<HistoryCmdResult> {
    const ino = inoOf(vol, this.args.filespec);
    const index = indexWithProgress(vol, this.progress('indexing node blocks'));
    return { ...history(vol, index, ino), scan: { blocksScanned: index.blocksScanned, nodeBlocks: index.nodeBlocks, ms: index.ms } };
  }

  protected override render(r: HistoryCmdResult): void {
    if (!r.inodes.length) this.out(`no copy of inode ${r.ino} found on disk`);
    else this.out(columns(COPY_HEAD, copyRows(r.inodes), { alignRight: [0, 1, 2, 5, 6] }));
    if (r.nodes.length) this.out(`other node blocks: ${r.nodes.map((n) => `nid ${n.nid} ofs ${n.ofs} at ${n.blkaddr} (cp ${n.cpVer}${n.current ? ', live' : ''})`).join('; ')}`);
    this.out(`scanned ${r.scan.blocksScanned} blocks, ${r.scan.nodeBlocks} node blocks, in ${r.scan.ms} ms`);
  }
}
