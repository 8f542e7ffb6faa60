// mknod IMAGE PATH TYPE [MAJOR MINOR]: a FIFO (p), character device (c), block device (b) or socket (s).

import { Args, Flags } from '@oclif/core';
import { MutatingCommand } from '../cli/mutating.js';
import { imageArg, type CmdArgs, type CmdFlags } from '../cli/base.js';
import { parseMode, parseNumber, pathArg } from '../cli/args.js';
import { F2fsError } from '../errors.js';
import { mknod, NODE_TYPES } from '../fs/ops.js';
import type { Volume } from '../fs/volume.js';

type NodeType = keyof typeof NODE_TYPES;

const TYPES: Record<string, NodeType> = { p: 'fifo', c: 'char', u: 'char', b: 'block', s: 'socket' };

export interface MknodResult {
  path: string;
  ino: number;
  type: NodeType;
  /** Device numbers (null for a FIFO or a socket). */
  major: number | null;
  minor: number | null;
}

export default class Mknod extends MutatingCommand<typeof Mknod, MknodResult> {
  static override summary = 'Create a special file: p (FIFO), c (character device), b (block device) or s (socket).';
  static override examples = ['<%= config.bin %> mknod disk.img /dev/null c 1 3', '<%= config.bin %> mknod disk.img /run/fifo p'];
  static override args = {
    image: imageArg(),
    path: pathArg('new name'),
    type: Args.string({ description: 'p, c, b or s (fifo, char, block, socket)', required: true }),
    major: Args.string({ description: 'major device number (c and b only)' }),
    minor: Args.string({ description: 'minor device number (c and b only)' }),
  };
  static override flags = {
    mode: Flags.string({ description: 'Permission bits (octal).', default: '644', helpValue: 'MODE' }),
  };

  protected async mutate(vol: Volume, args: CmdArgs<typeof Mknod>, flags: CmdFlags<typeof Mknod>): Promise<MknodResult> {
    const type = TYPES[args.type] ?? (Object.hasOwn(NODE_TYPES, args.type) ? (args.type as NodeType) : undefined);
    if (!type) throw new F2fsError('USAGE', `TYPE: '${args.type}' is not p, c, b or s`);
    const device = type === 'char' || type === 'block';
    const mode = parseMode(flags.mode, '--mode');
    let rdev: { major: number; minor: number } | undefined;
    if (device) {
      if (args.major === undefined || args.minor === undefined) throw new F2fsError('USAGE', `a ${type} device needs MAJOR and MINOR`);
      const major = parseNumber(args.major, 'MAJOR');
      const minor = parseNumber(args.minor, 'MINOR');
      if (major > 0xfff || minor > 0xfffff) throw new F2fsError('USAGE', `device ${major}:${minor} out of range (major < 4096, minor < 1048576)`);
      rdev = { major, minor };
    } else if (args.major !== undefined) throw new F2fsError('USAGE', `a ${type} takes no device numbers`);
    const ino = mknod(vol, args.path, type, { mode, rdev });
    return { path: args.path, ino, type, major: rdev?.major ?? null, minor: rdev?.minor ?? null };
  }

  protected override render(r: MknodResult): void {
    this.out(`created ${r.type} ${r.path} (ino ${r.ino})${r.major !== null ? ` device ${r.major}, ${r.minor}` : ''}`);
  }
}
