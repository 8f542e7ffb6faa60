// undel IMAGE INO [PATH] [--to HOSTFILE]: restore a deleted (or earlier) copy of an inode, its blocks re-checked first.

import fs from 'node:fs';
import { Args, Flags } from '@oclif/core';
import { VolumeCommand, imageArg, pathExists, type CmdFlags } from '../cli/base.js';
import { inImage } from '../cli/args.js';
import { parseNumber } from '../cli/args.js';
import { assessCopy, chooseCopy, copyContent, copyInfo, type CopyAssessment } from '../debugfs/history.js';
import { F2fsError, fail, fromHost } from '../errors.js';
import { preserveMeta } from '../debugfs/extract.js';
import { inodeSize, isReg, isSymlink } from '../fs/inode.js';
import { setAttrPath, symlink, writePath } from '../fs/ops.js';
import type { Volume } from '../fs/volume.js';
import { indexWithProgress, inoOf } from './history.js';

/** Content restored into the image is read whole before any block is allocated (allocation could reuse its blocks). */
const MAX_INTO_BYTES = 512 * 1024 * 1024;

export interface UndelResult {
  ino: number;
  /** The inode copy restored. */
  node: { blkaddr: number; cpVer: number };
  type: string;
  size: number;
  content: CopyAssessment;
  /** Where it went: a host file, or a path in the image (with the checkpoint written). */
  to: { host: string } | { path: string; ino: number; checkpoint: string };
}

export default class Undel extends VolumeCommand<typeof Undel, UndelResult> {
  static override summary = 'Restore a deleted inode (or an earlier copy of a live one) from the log, to a host file or back into the image.';
  static override description =
    'INO is a number or <ino> (lsdel lists the deleted ones). The newest deleted copy is used unless --node names another (history lists them). ' +
    'Every data block is checked first: one written over since (SIT and SSA) makes the restore fail, unless --partial, which puts zeros there. ' +
    'PATH restores into the image as a new file (mode, owner, atime and mtime of the copy; the image is checkpointed); --to writes a host file instead. Regular files and symlinks.';
  static override examples = ['<%= config.bin %> undel disk.img 42 --to recovered.bin', '<%= config.bin %> undel disk.img 42 /restored.txt', '<%= config.bin %> undel disk.img 7 --node 4711 --to old-version.txt'];
  static override args = {
    image: imageArg(),
    ino: Args.string({ description: 'inode number (or <ino>)', required: true }),
    path: inImage(Args.string({ description: 'new path in the image to restore to' })),
  };
  static override flags = {
    to: Flags.string({ description: 'Restore to this host file instead of into the image.', helpValue: 'HOSTFILE' }),
    node: Flags.custom<number>({ description: 'Block address of the inode copy to restore (see history).', helpValue: 'BLKADDR', parse: async (s) => parseNumber(s, '--node') })(),
    partial: Flags.boolean({ description: 'Restore even when some blocks were reused: zeros stand for them.' }),
  };

  protected override wantsWrite(flags: CmdFlags<typeof Undel>): boolean {
    return flags.to === undefined;
  }

  protected async execute(vol: Volume): Promise<UndelResult> {
    const { to, partial } = this.flags;
    const dest = this.args.path;
    if ((to === undefined) === (dest === undefined)) throw new F2fsError('USAGE', 'give either PATH (into the image) or --to HOSTFILE');
    const ino = inoOf(vol, /^\d+$/.test(this.args.ino) ? `<${this.args.ino}>` : this.args.ino);
    const index = indexWithProgress(vol, this.progress('indexing node blocks'));
    const copy = chooseCopy(vol, index, ino, this.flags.node);
    const info = copyInfo(vol, copy);
    const mode = info.inode.i_mode;
    if (!isReg(mode) && !isSymlink(mode)) fail('UNSUPPORTED', `inode ${ino} is not a regular file or a symlink: undel restores those`);
    const content = assessCopy(vol, index, copy, info);
    const base = { ino, node: { blkaddr: copy.blkaddr, cpVer: copy.cpVer }, type: isReg(mode) ? 'regular' : 'symlink', size: info.inode.i_size, content };
    if (to !== undefined) {
      if (isSymlink(mode)) {
        fromHost(() => fs.symlinkSync(Buffer.concat([...copyContent(vol, index, copy, { partial })]).toString(), to));
        preserveMeta(to, info, true);
      } else {
        const fd = fromHost(() => fs.openSync(to, 'w'));
        try {
          for (const chunk of copyContent(vol, index, copy, { partial })) fromHost(() => fs.writeSync(fd, chunk));
        } finally {
          fs.closeSync(fd);
        }
        preserveMeta(to, info);
      }
      return { ...base, to: { host: to } };
    }
    if (info.inode.i_size > MAX_INTO_BYTES) fail('EINVAL', `${inodeSize(info)} bytes is more than undel restores into the image at once (${MAX_INTO_BYTES}); use --to`);
    if (pathExists(vol, dest!, false)) fail('EEXIST', `${dest} exists`);
    const data = Buffer.concat([...copyContent(vol, index, copy, { partial })]);
    const i = info.inode;
    const times = { sec: i.i_mtime, nsec: i.i_mtime_nsec };
    const created = isSymlink(mode)
      ? symlink(vol, data.toString(), dest!, { uid: i.i_uid, gid: i.i_gid, times })
      : writePath(vol, dest!, data, { mode: i.i_mode & 0o7777, uid: i.i_uid, gid: i.i_gid, times }).ino;
    if (!isSymlink(mode)) setAttrPath(vol, dest!, { atime: { sec: i.i_atime, nsec: i.i_atime_nsec }, mtime: times });
    vol.finish('checkpoint');
    return { ...base, to: { path: dest!, ino: created, checkpoint: vol.cp.head.checkpoint_ver.toString() } };
  }

  protected override render(r: UndelResult): void {
    const c = r.content;
    const blocks = c.blocks ? `${c.intact} intact, ${c.shared} shared with the live file, ${c.reused} reused${c.reused ? ' (zeros)' : ''}` : 'inline';
    const where = 'host' in r.to ? `host file ${r.to.host}` : `${r.to.path} (ino ${r.to.ino}), checkpoint ${r.to.checkpoint} written`;
    this.out(`restored inode ${r.ino} (${r.type}, ${r.size} bytes, copy at ${r.node.blkaddr} from checkpoint ${r.node.cpVer}) to ${where}; blocks: ${blocks}`);
  }
}
