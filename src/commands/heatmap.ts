// heatmap IMAGE [--png FILE]: every main-area segment's validity and type from the SIT, as a terminal map or a PNG.

import fs from 'node:fs';
import path from 'node:path';
import { Flags } from '@oclif/core';
import { VolumeCommand, imageArg, type CmdFlags } from '../cli/base.js';
import { CURSEG_NAMES, isNodeSegType } from '../fs/layout/constants.js';
import type { Volume } from '../fs/volume.js';
import { fromHost } from '../errors.js';
import { TYPE_COLOURS as COLOURS, heatmapPng } from '../cli/heatmap-png.js';

export interface HeatmapResult {
  segments: number;
  /** Per segment: valid blocks (0-512) and type (0-5, as CURSEG_NAMES), -1 type when free. */
  valid: number[];
  type: number[];
  /** Segments of the current logs, and prefree ones (emptied this session, free after the next checkpoint). */
  current: number[];
  prefree: number[];
  png?: string;
}

const BLOCKS = 512;
const SHADES = ' .:-=+*#%@';

export default class Heatmap extends VolumeCommand<typeof Heatmap, HeatmapResult> {
  static override summary = 'Map of the main area: each segment\'s valid blocks and type (from the SIT), in the terminal or as a PNG.';
  static override description =
    'One cell per segment: the colour is its log type (hot/warm/cold data: green/blue, node: orange/red), the brightness or character its share of valid blocks (space: free, @: full). ' +
    'Without a colour terminal, characters only: data segments as the shade ramp " .:-=+*#%@", node segments in upper case letters A (few) to J (full). --png writes a picture instead of printing the map: a title with the image and checkpoint, one cell per segment in a grid sized to the volume (current logs framed white, prefree ones magenta) and a legend of types and the valid-blocks scale.';
  static override examples = ['<%= config.bin %> heatmap disk.img', '<%= config.bin %> heatmap disk.img --png sit.png'];
  static override args = { image: imageArg() };
  static override flags = {
    png: Flags.string({ description: 'Write a PNG here.', helpValue: 'FILE' }),
    width: Flags.integer({ description: 'Segments per row of the terminal map.', default: 64, min: 1 }),
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
    const current = vol.sm.cursegs.map((c) => c.segno);
    const prefree = [...vol.sm.prefree].sort((a, b) => a - b);
    const r: HeatmapResult = { segments: n, valid, type, current, prefree };
    if (flags.png) {
      const png = flags.png;
      const title = `${path.basename((this.args as { image?: string }).image ?? 'image')}: checkpoint ${vol.cp.head.checkpoint_ver} (pack ${vol.cp.pack})`;
      fromHost(() => fs.writeFileSync(png, heatmapPng({ title, valid, type, blocksPerSeg: BLOCKS, current, prefree })));
      r.png = png;
    }
    return r;
  }

  protected override render(r: HeatmapResult): void {
    if (r.png) {
      this.out(`PNG written to ${r.png}: ${r.segments} segments, ${r.type.filter((t) => t >= 0).length} in use`);
      return;
    }
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
  }
}
