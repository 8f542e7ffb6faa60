// heatmap IMAGE [--png FILE]: every main-area segment's validity and type from the SIT, as a terminal map or a PNG.

import fs from 'node:fs';
import zlib from 'node:zlib';
import { Flags } from '@oclif/core';
import { VolumeCommand, imageArg, type CmdFlags } from '../cli/base.js';
import { CURSEG_NAMES, isNodeSegType } from '../fs/layout/constants.js';
import type { Volume } from '../fs/volume.js';
import { fromHost } from '../errors.js';

export interface HeatmapResult {
  segments: number;
  /** Per segment: valid blocks (0-512) and type (0-5, as CURSEG_NAMES), -1 type when free. */
  valid: number[];
  type: number[];
  png?: string;
}

const BLOCKS = 512;
/** RGB per segment type: data greens/blues, node oranges/reds. */
const COLOURS: [number, number, number][] = [
  [80, 200, 120], // hot data
  [60, 140, 220], // warm data
  [40, 70, 160], // cold data
  [250, 170, 60], // hot node
  [230, 100, 50], // warm node
  [180, 50, 50], // cold node
];
const SHADES = ' .:-=+*#%@';

/** A minimal truecolour PNG (IHDR, one IDAT, IEND) with node:zlib: no dependency. */
export function encodePng(width: number, height: number, rgb: Buffer): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'ascii');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit, RGB, deflate, no filter method, no interlace
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) rgb.copy(raw, y * (width * 3 + 1) + 1, y * width * 3, (y + 1) * width * 3); // filter byte 0
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

export default class Heatmap extends VolumeCommand<typeof Heatmap, HeatmapResult> {
  static override summary = 'Map of the main area: each segment\'s valid blocks and type (from the SIT), in the terminal or as a PNG.';
  static override description =
    'One cell per segment: the colour is its log type (hot/warm/cold data: green/blue, node: orange/red), the brightness or character its share of valid blocks (space: free, @: full). ' +
    'Without a colour terminal, characters only: data segments as the shade ramp " .:-=+*#%@", node segments in upper case letters A (few) to J (full). --png writes an image, 8x8 pixels per segment.';
  static override examples = ['<%= config.bin %> heatmap disk.img', '<%= config.bin %> heatmap disk.img --png sit.png'];
  static override args = { image: imageArg() };
  static override flags = {
    png: Flags.string({ description: 'Write a PNG here.', helpValue: 'FILE' }),
    width: Flags.integer({ description: 'Segments per row.', default: 64, min: 1 }),
  };

  protected async execute(vol: Volume, _args: unknown, flags: CmdFlags<typeof Heatmap>): Promise<HeatmapResult> {
    const n = vol.geo.mainSegments;
    const valid: number[] = [];
    const type: number[] = [];
    for (let s = 0; s < n; s++) {
      const e = vol.sm.getSit(s);
      valid.push(e.valid);
      type.push(e.valid === 0 && !vol.sm.cursegOf(s) ? -1 : e.type);
    }
    const r: HeatmapResult = { segments: n, valid, type };
    if (flags.png) {
      const w = Math.min(flags.width, n);
      const h = Math.ceil(n / w);
      const px = 8;
      const rgb = Buffer.alloc(w * px * h * px * 3, 24);
      for (let s = 0; s < n; s++) {
        const base = type[s] < 0 ? [40, 40, 40] : COLOURS[type[s]] ?? [200, 200, 200];
        const k = type[s] < 0 ? 1 : 0.25 + (0.75 * valid[s]) / BLOCKS;
        const [x0, y0] = [(s % w) * px, Math.floor(s / w) * px];
        for (let y = 1; y < px; y++)
          for (let x = 1; x < px; x++) {
            const o = ((y0 + y) * w * px + x0 + x) * 3;
            rgb[o] = base[0] * k;
            rgb[o + 1] = base[1] * k;
            rgb[o + 2] = base[2] * k;
          }
      }
      const png = flags.png;
      fromHost(() => fs.writeFileSync(png, encodePng(w * px, h * px, rgb)));
      r.png = png;
    }
    return r;
  }

  protected override render(r: HeatmapResult): void {
    const colour = process.stdout.isTTY && !process.env.NO_COLOR && !this.ctx;
    const w = this.flags.width;
    for (let row = 0; row < r.segments; row += w) {
      let line = '';
      for (let s = row; s < Math.min(row + w, r.segments); s++) {
        const v = r.valid[s];
        const t = r.type[s];
        if (colour) {
          if (t < 0) line += '\x1b[48;2;40;40;40m \x1b[0m';
          else {
            const k = 0.25 + (0.75 * v) / BLOCKS;
            const [cr, cg, cb] = (COLOURS[t] ?? [200, 200, 200]).map((c) => Math.round(c * k));
            line += `\x1b[48;2;${cr};${cg};${cb}m \x1b[0m`;
          }
        } else if (t < 0) line += ' ';
        else if (isNodeSegType(t)) line += 'ABCDEFGHIJ'[Math.min(9, Math.floor((v * 10) / (BLOCKS + 1)))];
        else line += SHADES[Math.min(9, Math.max(1, Math.ceil((v * 9) / BLOCKS)))];
      }
      this.out(`${String(row).padStart(6)} ${line}`);
    }
    const used = r.type.filter((t) => t >= 0).length;
    const byType = CURSEG_NAMES.map((name, t) => `${name} ${r.type.filter((x) => x === t).length}`).join(', ');
    this.out(`${r.segments} segments, ${used} in use (${byType}); ${colour ? 'colour = type, brightness = valid blocks' : 'data: " .:-=+*#%@" by valid blocks, node: A-J'}`);
    if (r.png) this.out(`PNG written to ${r.png}`);
  }
}
