// crash-explore IMAGE -f SESSION: replays a session's write stream cut at many points, recovers each cut, checks the promises.

import fs from 'node:fs';
import { Args, Flags } from '@oclif/core';
import { F2fsCommand, globalFlags, type CmdArgs, type CmdFlags } from '../cli/base.js';
import { table } from '../cli/render.js';
import { Session, splitWords } from '../cli/session.js';
import { explore, type ExploreReport, type Step } from '../crash/explore.js';
import { MemDevice } from '../device/index.js';
import { F2fsError, fromHost } from '../errors.js';
import type { Volume } from '../fs/volume.js';

const REFUSED = new Set(['crash', 'open', 'close', 'quit', 'exit', 'q', 'mkfs', 'recover']);

export default class CrashExplore extends F2fsCommand<typeof CrashExplore, ExploreReport & { image: string }> {
  static override summary = 'Crash-test a session: cut its write stream at many points, recover each cut like Linux, check fsck and every fsync/commit promise.';
  static override description =
    'SESSION holds command lines as for `run` (no IMAGE argument). They run once on an in-memory copy of IMAGE while every block write and flush is recorded; ' +
    '`fsync PATH`, `atomic-commit PATH` and `checkpoint` lines are promises. Then the stream is cut at up to --max-cuts points (flush boundaries first), each cut also with single unflushed writes lost (--drop-writes), ' +
    'and every resulting image is recovered and checked: fsck clean, completed fsyncs and commits present, a cut commit all or nothing. The image file is never written. Exit 1 when any cut violates a promise.';
  static override examples = ['<%= config.bin %> crash-explore disk.img -f session.txt', '<%= config.bin %> crash-explore disk.img -f session.txt --max-cuts 50 --drop-writes 2 --json'];
  static override args = { image: Args.string({ description: 'F2FS image file (only read)', required: true }) };
  static override flags = {
    file: Flags.string({ char: 'f', description: 'Session script.', helpValue: 'SESSION', required: true }),
    'max-cuts': Flags.integer({ description: 'Upper bound on cut points examined.', default: 200, min: 1 }),
    'drop-writes': Flags.integer({ description: 'Per cut, also try losing each of up to K unflushed writes before it.', default: 4, min: 0 }),
    all: Flags.boolean({ description: 'List every cut, not only the violations (and a sample).' }),
  };
  static override baseFlags = globalFlags;

  protected async invoke(args: CmdArgs<typeof CrashExplore>, flags: CmdFlags<typeof CrashExplore>) {
    const text = fromHost(() => fs.readFileSync(flags.file, 'utf8'));
    const session = new Session({ config: this.config, readOnly: false, quiet: true, stdout: () => {}, stderr: () => {} });
    const steps: Step[] = [];
    text.split('\n').forEach((line, i) => {
      const words = splitWords(line);
      if (words.length === 0) return;
      if (REFUSED.has(words[0])) throw new F2fsError('USAGE', `${flags.file}:${i + 1}: '${words[0]}' cannot be part of an explored session`);
      const target = words.slice(1).find((w) => !w.startsWith('-'));
      // The path is read (by explore) before and after the step runs: relative to the session's cwd at that time.
      const promised = (kind: 'fsync' | 'commit'): Step['durability'] => ({
        kind,
        get path() {
          return session.absolute(target!);
        },
      });
      const durability: Step['durability'] =
        words[0] === 'fsync' && target
          ? promised('fsync')
          : words[0] === 'atomic-commit' && target
            ? promised('commit')
            : words[0] === 'checkpoint'
              ? { kind: 'checkpoint' }
              : undefined;
      steps.push({
        line,
        durability,
        run: async (vol: Volume) => {
          session.vol = vol;
          const lineErrors: string[] = [];
          session.err = (m: string) => lineErrors.push(m);
          const status = await session.exec(line);
          if (status) throw new F2fsError('EINVAL', `${flags.file}:${i + 1}: '${line.trim()}' failed: ${lineErrors.join('; ') || `status ${status}`}`);
        },
      });
    });
    const base = MemDevice.fromFile(args.image, { readOnly: false });
    const bar = this.progress('exploring cuts');
    try {
      const progress = bar && ((done: number, total: number, bad: number) => bar.update(done, total, bad ? `${bad} VIOLATION(S)` : '0 violations'));
      const report = await explore(base, steps, { maxCuts: flags['max-cuts'], dropWrites: flags['drop-writes'], progress });
      return { image: args.image, ...report };
    } finally {
      bar?.end();
    }
  }

  protected override exitStatus(r: ExploreReport): number {
    return r.violations ? 1 : 0;
  }

  protected override render(r: ExploreReport & { image: string }): void {
    const shown = this.flags.all ? r.cuts : [...r.cuts.filter((c) => !c.ok), ...r.cuts.filter((c) => c.ok).filter((_, i, a) => i % Math.max(1, Math.ceil(a.length / 12)) === 0)];
    shown.sort((a, b) => a.cut - b.cut);
    this.out(table(['cut', 'variant', 'recovered inodes', 'result'], shown.map((c) => [c.cut, c.variant, c.recovered, c.ok ? 'ok' : c.violations.join('; ')])));
    if (!this.flags.all && shown.length < r.cuts.length) this.out(`(${r.cuts.length - shown.length} more ok cuts not shown; --all lists them)`);
    this.out(
      `${r.steps} steps, ${r.ops} recorded ops (${r.writes} writes, ${r.flushes} flushes); ${r.cuts.length} crash images checked in ${r.ms} ms: ` +
        (r.violations ? `${r.violations} VIOLATION(S)` : '0 violations'),
    );
  }
}
