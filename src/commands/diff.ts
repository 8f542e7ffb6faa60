// diff IMAGE_A IMAGE_B [PATH]: files, metadata and (--blocks) blocks that differ between two images; exit 1 if any.

import { Args, Flags } from '@oclif/core';
import { VolumeCommand, imageArg } from '../cli/base.js';
import { inImage } from '../cli/args.js';
import { columns } from '../cli/render.js';
import { diffImages, FILE_FIELDS, type BlockOwner, type DiffResult } from '../debugfs/diff.js';
import type { Volume } from '../fs/volume.js';

const show = (v: unknown) => (v === null || v === undefined ? '-' : typeof v === 'string' ? v : JSON.stringify(v));
const ownerText = (o: BlockOwner) =>
  o.kind === 'free' || o.kind === 'metadata' ? o.kind : `${o.kind} ino ${o.ino ?? '-'}${o.bidx !== null ? ` block ${o.bidx}` : ''}${o.verified ? '' : ' (unverified)'}${o.paths.length ? ` ${o.paths[0]}` : ''}`;

export default class Diff extends VolumeCommand<typeof Diff, DiffResult> {
  static override summary = 'Compare two images: files by path, superblock and checkpoint fields, and (--blocks) blocks with their owners.';
  static override description =
    'Files: added (+), removed (-) and changed (~) entries below PATH (default /), by type, mode, owner, size, times, link target, device number, xattrs and content (the first byte that differs, as cmp); a directory\'s size is not compared (its entries are). ' +
    'Metadata: superblock, checkpoint and count fields as `info` reports them. --blocks: every block is compared; differing main-area blocks are listed with what owns them in each image (icheck). ' +
    'Exit status 0 when nothing differs, 1 when something does (like diff(1)). Works on images made by different tools.';
  static override examples = [
    '<%= config.bin %> diff golden.img new.img',
    '<%= config.bin %> diff a.img b.img /etc --ignore times,owner',
    '<%= config.bin %> diff a.img b.img --blocks --json',
  ];
  static override args = {
    image: imageArg(),
    other: Args.string({ description: 'F2FS image file to compare with', required: true }),
    path: inImage(Args.string({ description: 'subtree to compare (path in both images)', default: '/' })),
  };
  static override flags = {
    blocks: Flags.boolean({ description: 'Also compare every block (same-size images) and name the owners of differing main-area blocks.' }),
    ignore: Flags.string({ description: `File fields not to compare, comma separated: ${FILE_FIELDS.join(', ')}, owner, times.`, helpValue: 'a,b' }),
    limit: Flags.integer({ description: 'Most differing blocks listed (all are counted).', default: 1000, min: 0 }),
  };

  protected async execute(vol: Volume): Promise<DiffResult> {
    const other = this.openVolume({ write: false, image: this.args.other });
    return diffImages(vol, other, { path: this.args.path, blocks: this.flags.blocks, ignore: this.flags.ignore?.split(',').filter(Boolean), blockLimit: this.flags.limit });
  }

  protected override exitStatus(r: DiffResult): number {
    return r.identical ? 0 : 1;
  }

  protected override render(r: DiffResult): void {
    const mark = { added: '+', removed: '-', changed: '~' } as const;
    for (const f of r.files) {
      const what = f.changes?.map((c) => `${c.field} ${show(c.a)} -> ${show(c.b)}`).join(', ');
      this.out(`${mark[f.status]} ${f.path} (${f.type})${what ? `: ${what}` : ''}`);
    }
    for (const m of r.metadata) this.out(`meta ${m.field}: ${show(m.a)} -> ${show(m.b)}`);
    const b = r.blocks;
    if (b) {
      const areas = Object.entries(b.byArea).map(([k, n]) => `${k} ${n}`);
      this.out(`blocks differing: ${areas.length ? areas.join(', ') : 'none'}${Object.keys(b.byKind).length ? `; main by owner kind (A/B): ${Object.entries(b.byKind).map(([k, n]) => `${k} ${n}`).join(', ')}` : ''}`);
      if (b.main.length) this.out(columns(['blkaddr', 'A', 'B'], b.main.map((m) => [m.blkaddr, ownerText(m.a), ownerText(m.b)]), { alignRight: [0] }));
      if (b.truncated) this.out(`(more differing blocks not listed: --limit)`);
    }
    if (r.identical) this.out('identical');
  }
}
