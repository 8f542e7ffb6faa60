// resize IMAGE SIZE: grow or shrink the file system and its image file offline, as resize.f2fs 1.15 lays it out.

import * as fs from 'node:fs';
import { Args } from '@oclif/core';
import { parseSize } from '../cli/args.js';
import { VolumeCommand, globalFlags, imageArg, timestampFlag, type CmdArgs } from '../cli/base.js';
import { table } from '../cli/render.js';
import { isSparseImage } from '../device/index.js';
import { F2fsError } from '../errors.js';
import { resizeVolume, type ResizeGeometry, type ResizeReport } from '../fs/resize.js';
import type { Volume } from '../fs/volume.js';

export interface ResizeResult extends ResizeReport {
  image: string;
  /** The image file's size in bytes before and after. */
  oldBytes: number;
  bytes: number;
  ms: number;
}

const ROWS: [string, keyof ResizeGeometry][] = [
  ['block_count', 'blockCount'],
  ['segment_count', 'segmentCount'],
  ['segment_count_sit', 'sitSegments'],
  ['segment_count_nat', 'natSegments'],
  ['segment_count_ssa', 'ssaSegments'],
  ['segment_count_main', 'mainSegments'],
  ['nat_blkaddr', 'natBlkaddr'],
  ['ssa_blkaddr', 'ssaBlkaddr'],
  ['main_blkaddr', 'mainBlkaddr'],
  ['cp_payload', 'cpPayload'],
  ['rsvd_segment_count', 'reservedSegments'],
  ['overprov_segment_count', 'overprovSegments'],
  ['user_block_count', 'userBlocks'],
];

export default class Resize extends VolumeCommand<typeof Resize, ResizeResult> {
  static override summary = 'Grow or shrink the file system and its image file to SIZE, as resize.f2fs does.';
  static override description =
    'The areas are laid out as resize.f2fs 1.15 does: growing sizes SIT, NAT and SSA for the new size (the main segments they come to cover are emptied first, their live blocks moved by GC) and rebuilds the checkpoint; ' +
    'shrinking keeps the metadata areas (resize.f2fs -s) and moves every live block past the new end inside it with GC, then sets the image file to SIZE. ' +
    'When the valid blocks do not fit the smaller user space, it fails with ENOSPC and the image stays as it was. Plain image files only (not Android sparse images), one segment per section.';
  static override examples = ['<%= config.bin %> resize disk.img 256M', '<%= config.bin %> resize disk.img 48M --json'];
  static override baseFlags = { ...globalFlags, timestamp: timestampFlag() };
  static override args = {
    image: imageArg(),
    size: Args.string({ description: 'new size of the image in bytes (K, M, G, T suffixes)', required: true }),
  };
  static override write = true;

  protected override async invoke(args: CmdArgs<typeof Resize>, flags: typeof this.flags): Promise<ResizeResult> {
    if (this.ctx?.vol) throw new F2fsError('USAGE', 'resize works on an image file, not on an open session volume: quit the session first');
    parseSize(args.size, 'SIZE');
    if (isSparseImage(this.imagePath())) throw new F2fsError('UNSUPPORTED', `${this.imagePath()} is an Android sparse image: unsparse it, resize the raw image, then sparse it again`);
    return super.invoke(args, flags);
  }

  protected async execute(vol: Volume, args: CmdArgs<typeof Resize>): Promise<ResizeResult> {
    const bytes = parseSize(args.size, 'SIZE');
    const image = this.imagePath();
    const oldBytes = fs.statSync(image).size;
    const t0 = performance.now();
    const report = resizeVolume(vol, bytes);
    if (report.direction !== 'none') fs.truncateSync(image, bytes);
    return { image, oldBytes, bytes: report.direction === 'none' ? oldBytes : bytes, ...report, ms: Math.round(performance.now() - t0) };
  }

  protected override render(r: ResizeResult): void {
    if (r.direction === 'none') {
      this.out(`${r.image}: already ${r.old.blockCount} blocks, nothing to resize`);
      return;
    }
    this.out(table(['field', 'old', 'new'], ROWS.map(([name, key]) => [name, r.old[key], r.new[key]])));
    this.out(
      `${r.direction} ${r.oldBytes} -> ${r.bytes} bytes: moved ${r.moved.data} data and ${r.moved.node} node blocks out of ${r.segmentsEmptied} segment(s) in ${r.ms} ms; checkpoint ${r.checkpointVersion}`,
    );
  }
}
