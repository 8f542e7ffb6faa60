// run IMAGE [-f SCRIPT]: a batch session — the image opened once, each script line run through the same commands.

import fs from 'node:fs';
import readline from 'node:readline';
import { Args, Flags } from '@oclif/core';
import { F2fsCommand, forceFlag, globalFlags, modeFlag, readKeys, timestampFlag, type CmdArgs, type CmdFlags } from '../cli/base.js';
import { Session, runLines, type LineRecord } from '../cli/session.js';
import { F2fsError, toF2fsError } from '../errors.js';

export interface RunResult {
  /** Lines read (blank lines and comments included). */
  lines: number;
  failed: number;
  /** Status of the first failed line (0: none failed). */
  status: number;
  /** A checkpoint was written at the end (the volume was dirty). */
  checkpointed: boolean;
}

/** run's result: also the lines executed, and with --json one record per line (docs/json.md `run`). */
export interface BatchResult extends RunResult {
  ran: number;
  records?: LineRecord[];
}

/**
 * The lines of a stream, iterated later. readline reads from the moment it is created but its async iterator keeps
 * only the lines emitted after it exists: taken at once, so that lines (and the end) arriving while the session opens
 * the image are kept, not lost with the loop left waiting for ever (node's exit 13, "unsettled top-level await").
 */
export function lineStream(input: NodeJS.ReadableStream): ScriptLines {
  const rl = readline.createInterface({ input, crlfDelay: Infinity, terminal: false });
  const it = rl[Symbol.asyncIterator]();
  return { [Symbol.asyncIterator]: () => it, close: () => rl.close() };
}

/** Lines of a script; close() when they will not be read (a failed open: no waiting for the end of a pipe). */
export interface ScriptLines extends AsyncIterable<string> {
  close(): void;
}

/** Script lines from a file or stdin, read line by line (a 10,000-line script is never held as one string per line twice). */
export function scriptLines(file: string | undefined): ScriptLines {
  let input: NodeJS.ReadableStream;
  if (file === undefined || file === '-') {
    input = process.stdin;
  } else {
    try {
      fs.accessSync(file, fs.constants.R_OK);
    } catch (e) {
      throw toF2fsError(e);
    }
    input = fs.createReadStream(file);
  }
  return lineStream(input);
}

export const sessionFlags = {
  'read-only': Flags.boolean({ description: 'Open the image read-only (mutating lines fail with EROFS).' }),
  quiet: Flags.boolean({ char: 'q', description: 'Do not echo each line (`f2fsdbg: LINE` on stderr).' }),
  'keep-going': Flags.boolean({ char: 'k', description: 'Run the remaining lines after a failure (the exit status is still the first failure\'s).' }),
  checkpoint: Flags.boolean({
    description: 'At the end, checkpoint the image if anything is pending (--no-checkpoint: drop it, like a power cut).',
    default: true,
    allowNo: true,
  }),
  timestamp: timestampFlag(),
  'fs-mode': modeFlag(),
  force: forceFlag(),
};

export default class Run extends F2fsCommand<typeof Run, BatchResult> {
  static override summary = 'Run a script of f2fsdbg command lines on one image, opened once (like debugfs -f).';
  static override description =
    'Each line is a command without the IMAGE argument (`write /a --data x`, `cat /a`, `cd /d`, `checkpoint`, `crash`, `recover`; `#` starts a comment). ' +
    'Work stays in memory between lines (mutating commands default to --sync keep) until checkpoint, fsync, atomic-commit or the end of the script, which checkpoints a dirty image unless --no-checkpoint. ' +
    'Each line is echoed as `f2fsdbg: LINE` on stderr (not with --quiet); the run stops at the first failing line (not with --keep-going) and exits with its status. Without -f the script is read from stdin. ' +
    'With --json, nothing is echoed or printed per line: one document lists every line executed with its status and its own --json result or error.';
  static override examples = [
    '<%= config.bin %> run disk.img -f script.txt',
    'printf "write /a --data hi\\ncat /a\\n" | <%= config.bin %> run disk.img',
    '<%= config.bin %> run disk.img -f session.txt --keep-going --no-checkpoint',
  ];
  static override args = { image: Args.string({ description: 'F2FS image file', required: true }) };
  static override flags = {
    file: Flags.string({ char: 'f', description: 'Script file (- or absent: stdin).', helpValue: 'SCRIPT' }),
    ...sessionFlags,
  };
  static override baseFlags = globalFlags;

  protected async invoke(args: CmdArgs<typeof Run>, flags: CmdFlags<typeof Run>): Promise<BatchResult> {
    if (flags.file === undefined && process.stdin.isTTY) throw new F2fsError('USAGE', 'no script: give -f SCRIPT or pipe the lines on stdin (or use `shell` for an interactive session)');
    const lines = scriptLines(flags.file);
    const session = new Session({
      config: this.config,
      readOnly: Boolean(flags['read-only']),
      force: flags.force,
      quiet: flags.quiet,
      cacheMb: flags['cache-mb'],
      mode: flags['fs-mode'],
      keys: readKeys(flags.key),
      wait: flags.wait,
      stdout: this.ctx?.stdout,
      stderr: this.ctx?.stderr,
      json: flags.json,
    });
    try {
      await session.open(args.image);
    } catch (e) {
      lines.close();
      throw e;
    }
    const records: LineRecord[] | undefined = flags.json ? [] : undefined;
    let ran: { lines: number; ran: number; failed: number };
    let checkpointed = false;
    try {
      // Quiet: no echo says which line failed, so its errors carry SCRIPT:LINE.
      const script = flags.quiet ? (flags.file === undefined || flags.file === '-' ? 'stdin' : flags.file) : undefined;
      ran = await runLines(session, lines, { keepGoing: flags['keep-going'], records, script });
    } finally {
      // End of script (or stop at a failure): like quit.
      if (session.vol) checkpointed = session.close(flags.checkpoint).checkpointed;
    }
    return { ...ran, status: session.firstFailure, checkpointed, records };
  }

  protected override exitStatus(r: BatchResult): number {
    return r.status;
  }

  protected override render(): void {
    // Every line printed its own output.
  }
}
