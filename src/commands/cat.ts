// cat IMAGE FILESPEC: a file's bytes on stdout, streamed in 1 MiB chunks (holes read as zeros); --json: {ino, size, md5}.

import { VolumeCommand, imageArg } from '../cli/base.js';
import { filespecArg } from '../cli/args.js';
import { createHash } from 'node:crypto';
import { Flags } from '@oclif/core';
import { fileChunks, requireContent } from '../debugfs/extract.js';
import { requireSession, stagedChunks } from '../fs/atomic.js';
import { resolveFile } from '../debugfs/filespec.js';
import type { Volume } from '../fs/volume.js';

export interface CatResult {
  ino: number;
  size: number;
  /** md5 of the content (--json only; the bytes themselves are not put in JSON). */
  md5?: string;
}

/** Resolves when `s` can take more (or is gone: a closed pipe ends the command through entry.ts's EPIPE handler). */
export function drained(s: NodeJS.WritableStream & { off(e: string, f: () => void): unknown }): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      for (const e of ['drain', 'close', 'error']) s.off(e, done);
      resolve();
    };
    for (const e of ['drain', 'close', 'error']) s.on(e, done);
  });
}

export default class Cat extends VolumeCommand<typeof Cat, CatResult> {
  static override summary = "Write a file's content to stdout.";
  static override description =
    'FILESPEC is a path or <ino>; symlinks are followed. Streams in 1 MiB chunks, holes as zeros; stops quietly when the reader goes away. With --json, prints {ino, size, md5} instead of the bytes.';
  static override examples = ['<%= config.bin %> cat disk.img /etc/hostname', '<%= config.bin %> cat disk.img /big.bin | sha256sum', '<%= config.bin %> cat disk.img /big.bin --json'];
  static override args = { image: imageArg(), filespec: filespecArg() };
  static override flags = { staged: Flags.boolean({ description: 'show the staged view of a file in an atomic write (what its writer sees before commit)' }) };

  protected async execute(vol: Volume): Promise<CatResult> {
    const { ino, info } = resolveFile(vol, this.args.filespec, { follow: true });
    requireContent(info, this.args.filespec);
    const chunks = () => (this.flags.staged ? stagedChunks(vol, ino) : fileChunks(vol, info));
    const size = this.flags.staged ? requireSession(vol, ino).stagedSize : info.inode.i_size;
    if (this.flags.json) {
      const h = createHash('md5');
      for (const c of chunks()) h.update(c.data);
      return { ino, size, md5: h.digest('hex') };
    }
    if (this.ctx?.stdout) {
      // Shell / batch: a line-oriented sink, so the content goes out as text lines.
      let pending = '';
      for (const c of chunks()) {
        const lines = (pending + c.data.toString('utf8')).split('\n');
        pending = lines.pop()!;
        for (const l of lines) this.outRaw(l);
      }
      if (pending) this.outRaw(pending);
    } else {
      const stdout = process.stdout;
      for (const c of chunks()) {
        if (stdout.destroyed) break;
        if (!stdout.write(c.data)) await drained(stdout);
      }
    }
    return { ino, size };
  }

  protected override render(): void {
    // The content was written while executing.
  }
}
