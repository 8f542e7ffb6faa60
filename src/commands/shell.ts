// shell [IMAGE] [-w]: an interactive session (readline: history, Tab completion), or a batch one when stdin is not a terminal.

import { Args, Flags } from '@oclif/core';
import { F2fsCommand, globalFlags, readKeys, type CmdArgs, type CmdFlags } from '../cli/base.js';
import { Session, runLines } from '../cli/session.js';
import { Shell } from '../cli/shell.js';
import { canPrompt } from '../cli/prompt.js';
import { scriptLines, sessionFlags, type RunResult } from './run.js';

export default class ShellCommand extends F2fsCommand<typeof ShellCommand, RunResult> {
  static override summary = 'Interactive shell on an image (like debugfs): history, Tab completion, cd/pwd, crash and recover.';
  static override description =
    'Opens IMAGE once (read-only unless -w) and reads command lines without the IMAGE argument; relative paths are resolved against the current directory (cd, pwd). ' +
    'Work stays in memory until checkpoint, fsync, atomic-commit or quit (which checkpoints a dirty image). Session commands: cd, pwd, checkpoint, crash, recover, open IMAGE, close, pick, help [COMMAND], quit. ' +
    'History is kept in ~/.f2fsdbg_history. When stdin is not a terminal, the lines are read from it as by `run` (stop at the first error unless --keep-going).';
  static override examples = ['<%= config.bin %> shell disk.img -w', 'echo "ls /" | <%= config.bin %> shell disk.img'];
  static override args = { image: Args.string({ description: 'F2FS image file (or `open IMAGE` later)' }) };
  static override flags = {
    write: Flags.boolean({ char: 'w', description: 'Open the image read-write.' }),
    'background-gc': Flags.boolean({
      description: "While the shell waits for a line, clean one section in the background now and then, as Linux's GC thread does (mount -o background_gc=on); --no-background-gc turns it off.",
      default: true,
      allowNo: true,
    }),
    'gc-min-sleep-ms': Flags.integer({ description: "Idle time before a background GC pass (the kernel's gc_min_sleep_time).", default: 30_000, min: 1 }),
    ...sessionFlags,
  };
  static override baseFlags = globalFlags;

  protected async invoke(args: CmdArgs<typeof ShellCommand>, flags: CmdFlags<typeof ShellCommand>): Promise<RunResult> {
    const interactive = Boolean(process.stdin.isTTY) && !this.ctx;
    let shell: Shell | undefined;
    const session = new Session({
      config: this.config,
      readOnly: !flags.write || Boolean(flags['read-only']),
      force: flags.force,
      quiet: interactive || flags.quiet,
      cacheMb: flags['cache-mb'],
      mode: flags['fs-mode'],
      keys: readKeys(flags.key),
      wait: flags.wait,
      stdout: this.ctx?.stdout,
      stderr: this.ctx?.stderr,
      confirm: interactive && canPrompt() ? (m) => shell!.confirm(m) : undefined,
    });
    if (args.image) await session.open(args.image);
    let ran = { lines: 0, failed: 0 };
    let checkpointed = false;
    try {
      if (interactive) {
        shell = new Shell(session, flags['background-gc'] ? { minSleepMs: flags['gc-min-sleep-ms'] } : undefined);
        if (!flags.quiet) this.note(`f2fsdbg shell on ${args.image ?? '(no image: open IMAGE)'}${session.readOnly ? ' (read-only; -w to write)' : ''}; help lists the commands, quit or Ctrl-D ends.`);
        await shell.loop();
      } else {
        ran = await runLines(session, scriptLines(undefined), { keepGoing: flags['keep-going'] });
      }
    } finally {
      if (session.vol) checkpointed = session.close(flags.checkpoint).checkpointed;
    }
    // Interactive: errors were shown as they came; the shell itself succeeded.
    return { ...ran, status: interactive ? 0 : session.firstFailure, checkpointed };
  }

  protected override exitStatus(r: RunResult): number {
    return r.status;
  }

  protected override render(r: RunResult): void {
    if (r.checkpointed && process.stdin.isTTY) this.note('f2fsdbg: checkpoint written at quit');
  }
}
