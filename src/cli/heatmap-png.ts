// The heatmap as a picture: a title, one cell per segment in a grid sized to the volume, a legend; encoded by pngjs.
import { PNG } from 'pngjs';
import { CURSEG_NAMES } from '../fs/layout/constants.js';

/** RGB per segment type (CURSEG_NAMES order): data greens/blues, node oranges/reds. */
export const TYPE_COLOURS: [number, number, number][] = [
  [80, 200, 120], // hot data
  [60, 140, 220], // warm data
  [40, 70, 160], // cold data
  [250, 170, 60], // hot node
  [230, 100, 50], // warm node
  [180, 50, 50], // cold node
];
export const FREE_COLOUR: [number, number, number] = [40, 40, 40];
const BACKGROUND: [number, number, number] = [16, 16, 20];
const TEXT: [number, number, number] = [230, 230, 230];
const MARK: [number, number, number] = [255, 255, 255];
const PREFREE: [number, number, number] = [255, 60, 200];

/** The colour of a segment of type `type` (-1: free) holding `valid` of `blocks` valid blocks: darker when emptier. */
export function cellColour(type: number, valid: number, blocks: number): [number, number, number] {
  if (type < 0) return FREE_COLOUR;
  const k = 0.25 + (0.75 * valid) / blocks;
  const [r, g, b] = TYPE_COLOURS[type] ?? [200, 200, 200];
  return [Math.round(r * k), Math.round(g * k), Math.round(b * k)];
}

/** 5x7 glyphs, one row a number (bit 4 the leftmost pixel); text is drawn upper case, unknown characters as '?'. */
const FONT: Record<string, number[]> = {
  A: [14, 17, 17, 31, 17, 17, 17], B: [30, 17, 17, 30, 17, 17, 30], C: [14, 17, 16, 16, 16, 17, 14], D: [30, 17, 17, 17, 17, 17, 30],
  E: [31, 16, 16, 30, 16, 16, 31], F: [31, 16, 16, 30, 16, 16, 16], G: [14, 17, 16, 23, 17, 17, 15], H: [17, 17, 17, 31, 17, 17, 17],
  I: [14, 4, 4, 4, 4, 4, 14], J: [7, 2, 2, 2, 2, 18, 12], K: [17, 18, 20, 24, 20, 18, 17], L: [16, 16, 16, 16, 16, 16, 31],
  M: [17, 27, 21, 21, 17, 17, 17], N: [17, 17, 25, 21, 19, 17, 17], O: [14, 17, 17, 17, 17, 17, 14], P: [30, 17, 17, 30, 16, 16, 16],
  Q: [14, 17, 17, 17, 21, 18, 13], R: [30, 17, 17, 30, 20, 18, 17], S: [15, 16, 16, 14, 1, 1, 30], T: [31, 4, 4, 4, 4, 4, 4],
  U: [17, 17, 17, 17, 17, 17, 14], V: [17, 17, 17, 17, 17, 10, 4], W: [17, 17, 17, 21, 21, 21, 10], X: [17, 17, 10, 4, 10, 17, 17],
  Y: [17, 17, 17, 10, 4, 4, 4], Z: [31, 1, 2, 4, 8, 16, 31],
  '0': [14, 17, 19, 21, 25, 17, 14], '1': [4, 12, 4, 4, 4, 4, 14], '2': [14, 17, 1, 2, 4, 8, 31], '3': [31, 2, 4, 2, 1, 17, 14],
  '4': [2, 6, 10, 18, 31, 2, 2], '5': [31, 16, 30, 1, 1, 17, 14], '6': [6, 8, 16, 30, 17, 17, 14], '7': [31, 1, 2, 4, 8, 8, 8],
  '8': [14, 17, 17, 14, 17, 17, 14], '9': [14, 17, 17, 15, 1, 2, 12],
  ' ': [0, 0, 0, 0, 0, 0, 0], '.': [0, 0, 0, 0, 0, 12, 12], '-': [0, 0, 0, 31, 0, 0, 0], _: [0, 0, 0, 0, 0, 0, 31],
  ':': [0, 12, 12, 0, 12, 12, 0], '(': [2, 4, 8, 8, 8, 4, 2], ')': [8, 4, 2, 2, 2, 4, 8], '/': [0, 1, 2, 4, 8, 16, 0],
  ',': [0, 0, 0, 0, 12, 4, 8], '%': [24, 25, 2, 4, 8, 19, 3], '+': [0, 4, 4, 31, 4, 4, 0], '=': [0, 0, 31, 0, 31, 0, 0],
  '?': [14, 17, 1, 2, 4, 0, 4],
};
const GLYPH_W = 6; // 5 pixels and a gap

export interface HeatmapPicture {
  title: string;
  /** Per segment: valid blocks, type (-1 free). */
  valid: number[];
  type: number[];
  blocksPerSeg: number;
  /** Segments of the six current logs, and prefree ones (emptied, freed at the next checkpoint). */
  current: number[];
  prefree: number[];
}

class Canvas {
  readonly png: PNG;
  constructor(readonly width: number, readonly height: number) {
    this.png = new PNG({ width, height, colorType: 2 });
    this.rect(0, 0, width, height, BACKGROUND);
  }

  rect(x0: number, y0: number, w: number, h: number, [r, g, b]: [number, number, number]): void {
    for (let y = Math.max(0, y0); y < Math.min(this.height, y0 + h); y++)
      for (let x = Math.max(0, x0); x < Math.min(this.width, x0 + w); x++) {
        const o = (y * this.width + x) * 4;
        this.png.data[o] = r;
        this.png.data[o + 1] = g;
        this.png.data[o + 2] = b;
        this.png.data[o + 3] = 255;
      }
  }

  frame(x0: number, y0: number, w: number, h: number, c: [number, number, number]): void {
    this.rect(x0, y0, w, 1, c);
    this.rect(x0, y0 + h - 1, w, 1, c);
    this.rect(x0, y0, 1, h, c);
    this.rect(x0 + w - 1, y0, 1, h, c);
  }

  text(x: number, y: number, s: string, scale = 1, c = TEXT): number {
    for (const ch of s.toUpperCase()) {
      const g = FONT[ch] ?? FONT['?'];
      g.forEach((row, dy) => {
        for (let dx = 0; dx < 5; dx++) if (row & (16 >> dx)) this.rect(x + dx * scale, y + dy * scale, scale, scale, c);
      });
      x += GLYPH_W * scale;
    }
    return x;
  }
}

/** The picture: title, a grid of cells (square-ish, sized to the segment count), row labels, then the legend. */
export function heatmapPng(p: HeatmapPicture): Buffer {
  const n = p.valid.length;
  const cols = Math.max(8, Math.min(128, Math.ceil(Math.sqrt(n * 2))));
  const rows = Math.ceil(n / cols);
  const cell = n <= 256 ? 20 : n <= 2048 ? 12 : n <= 16384 ? 6 : 3;
  const labelW = GLYPH_W * String(n).length + 8;
  const margin = 12;
  const gridX = margin + labelW;
  const gridY = margin + 7 * 2 + 12;
  const gridW = cols * cell;
  const legendY = gridY + rows * cell + 14;
  const legendH = 4 * 14 + 30;
  const width = Math.max(gridX + gridW + margin, 560);
  const c = new Canvas(width, legendY + legendH);
  c.text(margin, margin, p.title, 2);
  const current = new Set(p.current);
  const prefree = new Set(p.prefree);
  for (let s = 0; s < n; s++) {
    const [x, y] = [gridX + (s % cols) * cell, gridY + Math.floor(s / cols) * cell];
    const gap = cell >= 6 ? 1 : 0;
    c.rect(x, y, cell - gap, cell - gap, cellColour(p.type[s], p.valid[s], p.blocksPerSeg));
    if (cell >= 6 && current.has(s)) c.frame(x, y, cell - gap, cell - gap, MARK);
    if (cell >= 6 && prefree.has(s)) c.frame(x, y, cell - gap, cell - gap, PREFREE);
  }
  for (let r = 0; r < rows; r += Math.max(1, Math.ceil(10 / cell))) c.text(margin, gridY + r * cell + Math.max(0, (cell - 7) >> 1), String(r * cols));
  // Legend: the six types at full and at a quarter, the valid-blocks scale, free, current log, prefree.
  let x = margin;
  let y = legendY;
  CURSEG_NAMES.forEach((name, t) => {
    if (t === 3) [x, y] = [margin, y + 14];
    c.rect(x, y, 10, 10, cellColour(t, p.blocksPerSeg, p.blocksPerSeg));
    x = c.text(x + 14, y + 2, name) + 16;
  });
  [x, y] = [margin, y + 18];
  c.text(x, y + 2, 'valid blocks: 0');
  const barX = margin + GLYPH_W * 16;
  for (let i = 0; i <= 100; i++) c.rect(barX + i * 2, y, 2, 10, cellColour(1, (i * p.blocksPerSeg) / 100, p.blocksPerSeg));
  c.text(barX + 208, y + 2, `${p.blocksPerSeg} (full)`);
  [x, y] = [margin, y + 18];
  c.rect(x, y, 10, 10, FREE_COLOUR);
  x = c.text(x + 14, y + 2, 'free') + 16;
  c.rect(x, y, 10, 10, cellColour(1, p.blocksPerSeg / 2, p.blocksPerSeg));
  c.frame(x, y, 10, 10, MARK);
  x = c.text(x + 14, y + 2, 'current log') + 16;
  c.rect(x, y, 10, 10, FREE_COLOUR);
  c.frame(x, y, 10, 10, PREFREE);
  c.text(x + 14, y + 2, 'prefree');
  c.text(margin, y + 18, `${n} segments, ${cols} per row, one cell each`);
  return PNG.sync.write(c.png, { colorType: 2 });
}
