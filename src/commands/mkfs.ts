// mkfs IMAGE: formats an image file (a new sparse one, or an existing file over its whole size) like mkfs.f2fs 1.15.

import fs from 'node:fs';
import { Flags } from '@oclif/core';
import { F2fsCommand, checkImageWritable, imageArg, type CmdArgs, type CmdFlags } from '../cli/base.js';
import { parseSize } from '../cli/args.js';
import { acquireLock } from '../cli/lock.js';
import { canPrompt, confirm } from '../cli/prompt.js';
import { humanSize, kv } from '../cli/render.js';
import { F2fsError, fromHost, toF2fsError } from '../errors.js';
import { BLKSIZE, SUPER_OFFSET } from '../fs/layout/constants.js';
import { Superblock } from '../fs/layout/superblock.js';
import { F2FS_MAGIC } from '../fs/layout/crc.js';
import { mkfsImage, type MkfsReport } from '../fs/mkfs.js';

export interface MkfsResult extends MkfsReport {
  image: string;
  /** The image file did not exist and was created (sparse). */
  created: boolean;
  /** What was overwritten: an F2FS file system, other data, or nothing. */
  replaced: 'f2fs' | 'other' | null;
}

const DEFAULT_SIZE = '256M';

const magic = Superblock.field('magic');

/** Whether an existing file holds an F2FS superblock magic (either copy), as blkid would see it. */
function hasF2fsMagic(image: string): boolean {
  const fd = fromHost(() => fs.openSync(image, 'r'));
  try {
    const b = Buffer.alloc(4);
    for (const at of [SUPER_OFFSET, BLKSIZE + SUPER_OFFSET]) {
      if (fs.readSync(fd, b, 0, 4, at + Superblock.offsets.magic) === 4 && magic.get(b) === F2FS_MAGIC) return true;
    }
    return false;
  } finally {
    fs.closeSync(fd);
  }
}

export default class Mkfs extends F2fsCommand<typeof Mkfs, MkfsResult> {
  static override summary = 'Format an image file as F2FS, like mkfs.f2fs 1.15 (a missing file is created sparse).';
  static override description =
    `A missing IMAGE is created with --size (default ${DEFAULT_SIZE}); an existing file is formatted over --size bytes or all of it. ` +
    'Formatting over an existing F2FS file system asks first on a terminal; elsewhere it needs --force.';
  static override examples = [
    '<%= config.bin %> mkfs disk.img --size 1G',
    '<%= config.bin %> mkfs disk.img --size 64M --features extra_attr,inode_checksum,sb_checksum --label data',
    '<%= config.bin %> mkfs system.img --size 64M --android',
    '<%= config.bin %> mkfs disk.img --force --seed 1 --uuid 6f2a1c3e-1111-4222-8333-944455556666',
  ];
  static override args = { image: imageArg() };
  static override flags = {
    size: Flags.string({ description: `Bytes to format (K, M, G, T suffixes); a new file gets this size (default ${DEFAULT_SIZE}).`, helpValue: 'SIZE' }),
    features: Flags.string({
      description: 'mkfs.f2fs -O features, comma separated: extra_attr, inode_checksum, flexible_inline_xattr, inode_crtime, sb_checksum, lost_found, compression, quota, project_quota (project_quota adds quota, as mkfs.f2fs does), casefold (with --encoding), encrypt, verity.',
      helpValue: 'a,b',
    }),
    android: Flags.boolean({ description: 'mkfs.f2fs -g android: adds encrypt, quota, project_quota, extra_attr and verity; root owned by 0:0.' }),
    encoding: Flags.string({ description: 'Casefolding encoding (-C): utf8 or utf8:strict; turns casefold on.', helpValue: 'ENC' }),
    label: Flags.string({ description: 'Volume label (-l).', helpValue: 'L' }),
    overprovision: Flags.string({ description: 'Overprovision percent (-o); default: what mkfs.f2fs picks.', helpValue: 'P' }),
    seed: Flags.integer({ description: 'Repeatable output: checkpoint version from this seed (mkfs.f2fs -r is seed 0), uuid derived from it.', min: 0 }),
    uuid: Flags.string({ description: 'Volume uuid (-U), xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx.', helpValue: 'U' }),
    timestamp: Flags.integer({ description: 'Inode times in epoch seconds (-T); also makes the image reproducible (seed 0 unless --seed). Default: SOURCE_DATE_EPOCH, else now.', min: 0, max: 0xffffffff }),
    force: Flags.boolean({ char: 'f', description: 'Format over an existing F2FS file system without asking.' }),
  };

  protected async invoke(args: CmdArgs<typeof Mkfs>, flags: CmdFlags<typeof Mkfs>): Promise<MkfsResult> {
    if (this.ctx?.vol) throw new F2fsError('USAGE', 'mkfs cannot run on an open volume');
    const image = args.image;
    // Like a writer: never format under another f2fsdbg process that has the image open.
    const lock = acquireLock(image, { exclusive: true, wait: flags.wait });
    try {
      return await this.format(image, flags);
    } finally {
      lock.release();
    }
  }

  private async format(image: string, flags: CmdFlags<typeof Mkfs>): Promise<MkfsResult> {
    let exists = true;
    try {
      fs.statSync(image);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw toF2fsError(e);
      exists = false;
    }
    let replaced: MkfsResult['replaced'] = null;
    if (exists) {
      checkImageWritable(image);
      const st = fs.statSync(image);
      if (st.isDirectory()) throw new F2fsError('EISDIR', `${image} is a directory`);
      replaced = st.isFile() && st.size >= 8192 && hasF2fsMagic(image) ? 'f2fs' : st.size > 0 ? 'other' : null;
      if (replaced === 'f2fs' && !flags.force) {
        if (!canPrompt()) throw new F2fsError('USAGE', `${image} already holds an F2FS file system: pass --force to format over it`);
        if (!(await confirm(`${image} already holds an F2FS file system. Format it (everything on it is lost)?`))) {
          throw new F2fsError('EEXIST', `${image} holds an F2FS file system; left as it was`);
        }
      }
    }
    const sizeBytes = flags.size !== undefined ? parseSize(flags.size, '--size') : exists ? undefined : parseSize(DEFAULT_SIZE, '--size');
    let overprovision: number | undefined;
    if (flags.overprovision !== undefined) {
      overprovision = Number(flags.overprovision);
      if (!/^\s*\d+(\.\d+)?\s*$/.test(flags.overprovision) || !(overprovision > 0 && overprovision < 100)) {
        throw new F2fsError('USAGE', `--overprovision: '${flags.overprovision}' is not a percentage between 0 and 100`);
      }
    }
    const bar = this.progress(`formatting ${image}`);
    try {
      const report = mkfsImage(image, {
        sizeBytes,
        features: flags.features !== undefined ? [flags.features] : undefined,
        android: flags.android,
        encoding: flags.encoding,
        label: flags.label,
        overprovision,
        seed: flags.seed,
        uuid: flags.uuid,
        timestamp: flags.timestamp,
        progress: bar ? (done, total) => bar.update(done, total) : undefined,
      });
      return { image, created: !exists, replaced, ...report };
    } finally {
      bar?.end();
    }
  }

  protected override render(r: MkfsResult): void {
    this.out(`${r.created ? 'created and formatted' : 'formatted'} ${r.image}: ${humanSize(r.sizeBytes)}`);
    this.out(
      kv(
        [
          ['blocks', `${r.blockCount} of 4 KiB, ${r.segmentCount} segments (${r.mainSegments} in the main area)`],
          ['overprovision', `${r.overprovisionPercent}%: ${r.overprovisionSegments} segments (${r.reservedSegments} reserved)`],
          ['user blocks', `${r.userBlocks} (${humanSize(r.userBlocks * 4096)})`],
          ['features', r.features.join(' ') || '(none)'],
          ...(r.encoding ? [['encoding', r.encoding] as [string, string]] : []),
          ['uuid', r.uuid],
          ['label', JSON.stringify(r.label)],
          ['checkpoint', `version ${r.checkpointVersion}, flags ${r.cpFlags.join(' ')}`],
        ],
        { indent: 2 },
      ),
    );
  }
}
