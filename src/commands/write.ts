// write IMAGE PATH [--from HOSTFILE | --data STRING | stdin]: writes bytes into a file of the image, creating it if absent.

import fs from 'node:fs';
import { Flags } from '@oclif/core';
import { MutatingCommand } from '../cli/mutating.js';
import { applyCompressFlags, compressFlags } from '../cli/compress-flags.js';
import { imageArg, pathExists, type CmdArgs, type CmdFlags } from '../cli/base.js';
import { parseMode, parseSize, pathArg } from '../cli/args.js';
import { F2fsError, toF2fsError } from '../errors.js';
import { isDir } from '../fs/inode.js';
import { requireWriteSpace, writePath } from '../fs/ops.js';
import type { Volume } from '../fs/volume.js';

export interface WriteResult {
  path: string;
  ino: number;
  /** The file did not exist and was created (with --mode). */
  created: boolean;
  /** Byte offset the data went to. */
  offset: number;
  /** Bytes written. */
  bytes: number;
  /** i_size afterwards (of the staged copy when staged). */
  size: number;
  /** The file is in an atomic write: the data went to its staged copy, visible in the file at atomic-commit. */
  staged: boolean;
}

/** Host reads of --from go in pieces of this size (bounded memory for big files). */
const CHUNK = 1 << 20;

export default class Write extends MutatingCommand<typeof Write, WriteResult> {
  static override summary = 'Write data into a file of the image (created if absent), from a host file, a string or stdin.';
  static override description =
    'Without --from or --data the data is read from stdin (which must not be a terminal). Writes at --offset (default 0) or at the end ' +
    '(--append), after emptying the file with --truncate; the file grows as needed and a write past the end leaves a hole.';
  static override examples = [
    '<%= config.bin %> write disk.img /etc/motd --data "hello"',
    '<%= config.bin %> write disk.img /big.bin --from ./big.bin',
    'echo more | <%= config.bin %> write disk.img /log --append',
    '<%= config.bin %> write disk.img /sparse --data x --offset 9G',
  ];
  static override args = { image: imageArg(), path: pathArg('file in the image (created with --mode if absent)') };
  static override flags = {
    from: Flags.string({ description: 'Host file to copy in.', helpValue: 'HOSTFILE', exclusive: ['data'] }),
    data: Flags.string({ description: 'The data, as a UTF-8 string.', helpValue: 'STRING', exclusive: ['from'] }),
    offset: Flags.string({ description: 'Byte offset to write at (K, M, G, T suffixes).', helpValue: 'N', exclusive: ['append'] }),
    append: Flags.boolean({ description: 'Write at the end of the file.' }),
    truncate: Flags.boolean({ description: 'Empty the file before writing.' }),
    mode: Flags.string({ description: 'Permission bits (octal) of a file this creates.', default: '644', helpValue: 'MODE' }),
    ...compressFlags,
  };

  protected async mutate(vol: Volume, args: CmdArgs<typeof Write>, flags: CmdFlags<typeof Write>): Promise<WriteResult> {
    const mode = parseMode(flags.mode, '--mode');
    applyCompressFlags(vol, flags);
    const offset = flags.offset === undefined ? 0 : parseSize(flags.offset, '--offset');
    const created = !pathExists(vol, args.path);
    if (!created && isDir(vol.inode(vol.resolve(args.path, { follow: true }).ino).inode.i_mode)) {
      throw new F2fsError('EISDIR', `${args.path} is a directory`);
    }
    const opts = { offset, append: flags.append, truncate: flags.truncate, mode };
    if (flags.from === undefined) {
      const data = flags.data !== undefined ? Buffer.from(flags.data, 'utf8') : this.readStdin();
      requireWriteSpace(vol, args.path, data.length, opts);
      const r = writePath(vol, args.path, data, opts);
      return { path: args.path, ino: r.ino, created, offset: flags.append ? r.size - data.length : offset, bytes: data.length, size: r.size, staged: r.staged };
    }
    return this.copyIn(vol, args.path, flags.from, opts, created);
  }

  private readStdin(): Buffer {
    if (this.ctx) throw new F2fsError('USAGE', 'no data: give --from HOSTFILE or --data STRING');
    if (process.stdin.isTTY) throw new F2fsError('USAGE', 'no data: give --from HOSTFILE or --data STRING, or pipe the data on stdin');
    try {
      return fs.readFileSync(0);
    } catch (e) {
      throw toF2fsError(e);
    }
  }

  /** --from: the host file in CHUNK pieces, the first one through the create/truncate/append logic of writePath. */
  private copyIn(vol: Volume, p: string, host: string, opts: { offset: number; append: boolean; truncate: boolean; mode: number }, created: boolean): WriteResult {
    let fd: number;
    let total: number;
    try {
      fd = fs.openSync(host, 'r');
      const st = fs.fstatSync(fd);
      if (st.isDirectory()) {
        fs.closeSync(fd);
        throw new F2fsError('EISDIR', `--from ${host} is a directory (use import for a tree)`);
      }
      total = st.size;
    } catch (e) {
      throw toF2fsError(e);
    }
    const bar = total > 8 * CHUNK ? this.progress(`writing ${p}`) : undefined;
    try {
      requireWriteSpace(vol, p, total, opts);
      const chunk = Buffer.alloc(CHUNK);
      let start = opts.offset;
      let ino = 0;
      let size = 0;
      let staged = false;
      let pos = 0;
      for (;;) {
        let n: number;
        try {
          n = fs.readSync(fd, chunk, 0, CHUNK, pos);
        } catch (e) {
          throw toF2fsError(e);
        }
        if (n === 0 && ino !== 0) break;
        const piece = chunk.subarray(0, n);
        if (ino === 0) {
          const r = writePath(vol, p, piece, opts);
          ino = r.ino;
          staged = r.staged;
          if (opts.append) start = r.size - n;
          size = r.size;
        } else {
          size = writePath(vol, `<${ino}>`, piece, { offset: start + pos }).size;
        }
        pos += n;
        bar?.update(pos, total);
        if (n === 0) break;
      }
      return { path: p, ino, created, offset: start, bytes: pos, size, staged };
    } finally {
      bar?.end();
      fs.closeSync(fd);
    }
  }

  protected override render(r: WriteResult): void {
    if (r.staged) this.out(`staged ${r.path} (ino ${r.ino}): ${r.bytes} bytes at offset ${r.offset} of its atomic write, staged size ${r.size} (the file changes at atomic-commit)`);
    else this.out(`${r.created ? 'created' : 'wrote'} ${r.path} (ino ${r.ino}): ${r.bytes} bytes at offset ${r.offset}, size ${r.size}`);
  }
}
