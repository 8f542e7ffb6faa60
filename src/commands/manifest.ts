// manifest IMAGE [PATH]: a BSD mtree (libarchive's flavour) or JSON-lines listing of a tree, streamed as it is walked.

import fs from 'node:fs';
import { Args, Flags } from '@oclif/core';
import { VolumeCommand, imageArg } from '../cli/base.js';
import { inImage } from '../cli/args.js';
import { F2fsError, fromHost } from '../errors.js';
import { MANIFEST_DIGESTS, MANIFEST_FORMATS, manifestLines } from '../debugfs/manifest.js';
import type { Volume } from '../fs/volume.js';
import { drained } from './cat.js';

export interface ManifestResult {
  path: string;
  format: string;
  digest: string;
  /** Entries listed. */
  entries: number;
  /** Where the manifest went (null: stdout). */
  output: string | null;
}

const FLUSH_BYTES = 64 * 1024;

export default class Manifest extends VolumeCommand<typeof Manifest, ManifestResult> {
  static override summary = 'List a tree as a BSD mtree spec (or JSON lines): type, mode, owner, size, time, link, device, digest.';
  static override description =
    'The mtree form is what libarchive writes (bsdtar --format=mtree): check an extracted or host tree with `mtree -p DIR -f FILE`. ' +
    'The json form is one object per line and adds atime, ctime, nlink and xattrs. Entries come sorted by name, depth first; the listing is written as the tree is walked. ' +
    'With --json, the manifest goes to --output and a summary is printed.';
  static override examples = [
    '<%= config.bin %> manifest disk.img > disk.mtree',
    '<%= config.bin %> manifest disk.img /etc --format json --digest md5',
    '<%= config.bin %> manifest disk.img -o disk.mtree && mtree -p extracted/ -f disk.mtree',
  ];
  static override args = { image: imageArg(), path: inImage(Args.string({ description: 'subtree to list (path or <ino>)', default: '/' })) };
  static override flags = {
    format: Flags.option({ options: [...MANIFEST_FORMATS], default: 'mtree' as const, description: 'mtree (BSD mtree, as libarchive writes it) or json (one object per line).' })(),
    digest: Flags.option({ options: [...MANIFEST_DIGESTS], default: 'sha256' as const, description: 'Content digest of regular files.' })(),
    output: Flags.string({ char: 'o', description: 'Write the manifest to this host file instead of stdout.', helpValue: 'FILE' }),
  };

  protected async execute(vol: Volume): Promise<ManifestResult> {
    const { format, digest, output } = this.flags;
    if (this.flags.json && !output) throw new F2fsError('USAGE', '--json prints a summary: give --output FILE for the manifest itself');
    const lines = manifestLines(vol, { path: this.args.path, format, digest });
    let entries = 0;
    const count = (line: string) => {
      if (!line.startsWith('#')) entries++;
    };
    if (output) {
      const fd = fromHost(() => fs.openSync(output, 'w'));
      try {
        let buf = '';
        for (const line of lines) {
          count(line);
          buf += `${line}\n`;
          if (buf.length >= FLUSH_BYTES) {
            fromHost(() => fs.writeSync(fd, buf));
            buf = '';
          }
        }
        fromHost(() => fs.writeSync(fd, buf));
      } finally {
        fs.closeSync(fd);
      }
    } else if (this.ctx?.stdout) {
      for (const line of lines) {
        count(line);
        this.out(line);
      }
    } else {
      const stdout = process.stdout;
      for (const line of lines) {
        if (stdout.destroyed) break;
        count(line);
        if (!stdout.write(`${line}\n`)) await drained(stdout);
      }
    }
    return { path: this.args.path, format, digest, entries, output: output ?? null };
  }

  protected override render(): void {
    // The manifest was written while walking.
  }
}
