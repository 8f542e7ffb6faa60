/*
 * The base of every f2fsdbg command.
 *
 * Design
 * ------
 * A command is an oclif Command subclass that stays thin: it declares its args/flags, implements one
 * `execute(vol, args, flags)` (VolumeCommand) or `invoke(args, flags)` (F2fsCommand) that calls one
 * operation and returns a plain Result object, and a `render(result)` for humans. Everything else lives here:
 *
 *   parse argv ─▶ open the volume (VolumeCommand) ─▶ execute ─▶ close ─▶ output
 *                                                                        ├─ --json: formatJson(result [+ io])  → stdout
 *                                                                        └─ else:   render(result) → stdout, io line → stderr
 *   any throw ─▶ catch(): one line `f2fsdbg: CODE: message (context)` to stderr (or {"error": …} on stdout with --json)
 *                        and the exit status: F2fsError.exitCode, 2 for usage/parse errors, 70 for bugs.
 *
 * Global flags (baseFlags, shown as GLOBAL in help): --json, --io-stats, --cache-mb N.
 * Convention: `f2fsdbg COMMAND IMAGE [ARGS] [FLAGS]`; commands declare `image: imageArg()` as their first arg.
 *
 * Two ways to run a command
 * -------------------------
 * 1. From process argv (bin/run.js → oclif → Command.run): output goes to process.stdout/stderr, the status to
 *    process.exitCode. What `openVolume()` / `openDevice()` opened is always closed before output (and again,
 *    defensively, in oclif's `finally`). `openDevice()` is for commands that must not need a mountable volume
 *    (dump-sb reads only the superblock, so it works when the checkpoint or root inode is damaged).
 * 2. Programmatically, for the shell and the batch runner: `await SomeCommand.runWith(ctx, argv)` with
 *    `ctx = {config, vol?, stdout?, stderr?}`. When `ctx.vol` is given the IMAGE arg is dropped from the
 *    command's arg list (argv is just `[ARGS] [FLAGS]`), `openVolume()` returns `ctx.vol` (`openDevice()` its
 *    device) and never closes it, --cache-mb is ignored and --io-stats reports the delta of this one command.
 *    Output goes to ctx.stdout /
 *    ctx.stderr (default: the process streams); nothing touches process.exitCode. It resolves to
 *    `{status, result?, error?}` and never throws for command failures.
 *
 * Exit statuses: 0 ok; F2fsError codes map through errors.ts (1 generic, 2 usage, 3 not F2FS / corrupt,
 * 4 unsupported, 5 host I/O); 70 (EX_SOFTWARE) for an unexpected exception, whose stack is printed only with
 * F2FSDBG_DEBUG=1.
 */

import fs from 'node:fs';
import { Args, Command, Errors, Flags, type Config, type Interfaces } from '@oclif/core';
import { DEFAULT_CACHE_MB, openDevice, type BlockDevice, type IoStats } from '../device/index.js';
import type { TraceEvent } from '../device/types.js';
import { fsyncFile, type FsyncResult } from '../fs/file.js';
import { isReg } from '../fs/inode.js';
import { F2fsError } from '../errors.js';
import { Volume } from '../fs/volume.js';
import { isInImage } from './args.js';
import { formatJson } from './render.js';
import { acquireLock as takeLock } from './lock.js';
import { askText, canPrompt, imageFiles, pickPath, sessionCanPrompt } from './prompt.js';

/** The image lock as something openVolume's close list can release. */
function acquireLock(image: string, opts: { exclusive: boolean; wait?: boolean }): { close(): void } {
  const lock = takeLock(image, opts);
  return { close: () => lock.release() };
}

export const BIN = 'f2fsdbg';
/** Exit status for an unexpected exception (sysexits EX_SOFTWARE). */
export const EXIT_INTERNAL = 70;

/** Flags every command accepts. */
export const globalFlags = {
  json: Flags.boolean({
    description: 'Print the result as JSON on stdout (errors too, as {"error": {...}}).',
    helpGroup: 'GLOBAL',
  }),
  'io-stats': Flags.boolean({
    description: 'Report device counters (blocks read/written, flushes, cache hits) after the command: on stderr, or as "io" in the JSON.',
    helpGroup: 'GLOBAL',
  }),
  'trace-io': Flags.boolean({
    description: 'Print the block I/O pattern of the command (writes by kind, flushes by tag) on stderr, or as "trace" in the JSON.',
    helpGroup: 'GLOBAL',
  }),
  wait: Flags.boolean({
    description: 'When another f2fsdbg process holds the image (IMAGE.lock), wait for it instead of failing.',
    helpGroup: 'GLOBAL',
  }),
  'cache-mb': Flags.integer({
    description: 'Bound of the block cache in MiB (0 disables it).',
    default: DEFAULT_CACHE_MB,
    min: 0,
    helpGroup: 'GLOBAL',
  }),
};

/** The IMAGE positional every image command declares first. */
export const imageArg = () => Args.string({ description: 'F2FS image file', required: true });

export type GlobalFlags = Interfaces.InferredFlags<typeof globalFlags>;
export type CmdFlags<T extends typeof Command> = Interfaces.InferredFlags<T['flags']> & GlobalFlags;
export type CmdArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>;

/** How the shell / batch runner runs a command on an already open volume. */
export interface RunContext {
  /** The oclif Config of the running CLI (e.g. the shell command's `this.config`). */
  config: Config;
  /** Already open volume: the IMAGE arg is not expected in argv, and the command does not close it. */
  vol?: Volume;
  /** Receives each output line (without trailing newline); default process.stdout. */
  stdout?: (line: string) => void;
  /** Receives each diagnostic line; default process.stderr. */
  stderr?: (line: string) => void;
  /** A session's working directory applied to an image path typed at a prompt (args on the line are resolved before). */
  absolute?: (p: string) => string;
}

export interface RunOutcome<R> {
  status: number;
  result?: R;
  error?: F2fsError;
}

export type IoCounters = IoStats;

interface IoSource {
  stats: IoStats;
  base: IoStats;
}

const ZERO_IO: IoStats = { blocksRead: 0, blocksWritten: 0, flushes: 0, cacheHits: 0 };

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/** One line from an oclif parse error ("Missing 1 required arg:\nimage  F2FS image file\nSee more help with --help"). */
function parseErrorLine(message: string): string {
  const lines = message
    .replace(ANSI, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^See more help with --help$/.test(l) && !/^Alternatively, you can use/.test(l));
  if (lines.length <= 1) return lines[0] ?? 'invalid arguments';
  const [head, ...rest] = lines;
  const items = rest.map((l) => l.replace(/^(\S+)\s{2,}.*$/, '$1'));
  return `${head.replace(/:$/, '')}: ${items.join('; ')}`;
}

/**
 * Classifies anything thrown into what the user sees: an F2fsError (printed without a stack) and a status.
 * `internal` marks an unexpected exception (status 70; the stack goes out only with F2FSDBG_DEBUG=1).
 */
export function classifyError(e: unknown, commandId?: string): { error: F2fsError; status: number; internal?: Error; silent?: boolean } {
  if (e instanceof F2fsError) return { error: e, status: e.exitCode };
  if (e instanceof Errors.ExitError) {
    // this.exit(n): a deliberate exit, nothing to print.
    return { error: new F2fsError('USAGE', `exit ${e.oclif.exit}`), status: e.oclif.exit ?? 1, silent: true };
  }
  if (e instanceof Errors.CLIError) {
    const cli = e as Errors.CLIError & { parse?: unknown };
    const notFound = /^command (.+) not found$/.exec(cli.message);
    if (notFound) {
      // With topicSeparator ' ', oclif glues the following args into the id ("frob:disk.img"): keep the command words.
      const words = notFound[1].split(':');
      const n = words.findIndex((w) => !/^[a-z][a-z0-9-]*$/i.test(w));
      const id = (n <= 0 ? words.slice(0, 1) : words.slice(0, n)).join(' ');
      return { error: new F2fsError('USAGE', `unknown command '${id}' (see ${BIN} --help)`), status: 2 };
    }
    if (cli.parse !== undefined || /^(Parsing|Expected|Missing|Unexpected|Nonexistent)/.test(cli.message)) {
      const hint = commandId ? ` (see ${BIN} ${commandId.replaceAll(':', ' ')} --help)` : '';
      return { error: new F2fsError('USAGE', parseErrorLine(cli.message) + hint), status: 2 };
    }
    // this.error() from a command: a deliberate, user-facing message.
    return { error: new F2fsError('EINVAL', cli.message.replace(ANSI, '').split('\n')[0]), status: cli.oclif?.exit ?? 1 };
  }
  const err = e instanceof Error ? e : new Error(String(e));
  const wrapped = new F2fsError('EINVAL', `${err.name === 'Error' ? '' : `${err.name}: `}${err.message.split('\n')[0]}`);
  // Shown as "INTERNAL: …" (not one of the on-disk error codes; status 70).
  Object.defineProperty(wrapped, 'code', { value: 'INTERNAL' });
  return { error: wrapped, status: EXIT_INTERNAL, internal: err };
}

/** Writes the error report (one line, or JSON) through `out`/`err`; returns the status. */
export function reportError(
  e: unknown,
  opts: { json: boolean; commandId?: string; io?: IoStats; stdout: (s: string) => void; stderr: (s: string) => void },
): number {
  const { error, status, internal, silent } = classifyError(e, opts.commandId);
  if (silent) return status;
  if (opts.json) {
    const body = error.toJSON();
    opts.stdout(formatJson(opts.io ? { ...body, io: opts.io } : body).trimEnd());
  } else {
    opts.stderr(`${BIN}: ${error.describe()}`);
    if (opts.io) opts.stderr(formatIo(opts.io));
  }
  if (internal && process.env.F2FSDBG_DEBUG === '1' && internal.stack) opts.stderr(internal.stack);
  return status;
}

export function formatIo(io: IoStats): string {
  return `io: blocks read ${io.blocksRead}, blocks written ${io.blocksWritten}, flushes ${io.flushes}, cache hits ${io.cacheHits}`;
}

interface MissingArg {
  name: string;
  description?: string;
  multiple?: boolean;
}

/** What a RequiredArgsError (not exported by @oclif/core) carries: the missing args and what was parsed; else undefined. */
function missingArgs(e: unknown): { args: MissingArg[]; parse: { output: { args: Record<string, unknown> } } } | undefined {
  const err = e as { args?: unknown; parse?: { output?: { args?: Record<string, unknown> } } };
  if (!(e instanceof Errors.CLIError) || !Array.isArray(err.args) || !err.parse?.output?.args) return undefined;
  // UnexpectedArgsError carries args too, as strings (the extra words): only arg definitions mean "missing".
  if (!err.args.every((a) => typeof (a as MissingArg | null)?.name === 'string')) return undefined;
  return { args: err.args as MissingArg[], parse: { output: { args: err.parse.output.args } } };
}

/** The files of an image not open yet, read under a shared lock let go before the question (the user may take a while). */
function filesOf(image: string): string[] {
  const lock = takeLock(image, { exclusive: false });
  try {
    const vol = Volume.open(image, { readOnly: true });
    try {
      return imageFiles(vol);
    } finally {
      vol.close();
    }
  } finally {
    lock.release();
  }
}

const processStdout = (s: string) => void process.stdout.write(`${s}\n`);
const processStderr = (s: string) => void process.stderr.write(`${s}\n`);

/** `--json` given before any `--`? Used when parsing failed and the flags are unknown. */
function argvWantsJson(argv: string[]): boolean {
  const end = argv.indexOf('--');
  const i = argv.indexOf('--json');
  return i !== -1 && (end === -1 || i < end);
}

/**
 * Base of every command. `T` is the command class itself (`extends F2fsCommand<typeof Mine, MineResult>`),
 * which types `args` and `flags`; `R` is the plain Result object the command returns.
 */
export abstract class F2fsCommand<T extends typeof Command, R extends object = object> extends Command {
  static override baseFlags = globalFlags;
  static override enableJsonFlag = false; // --json is ours (globalFlags), with our error shape
  static override strict = true;

  /** Set by runWith(): the shell/batch context; undefined when run from process argv. */
  protected ctx?: RunContext;
  protected flags!: CmdFlags<T>;
  protected args!: CmdArgs<T>;
  /** Filled in by the run: what runWith() returns. */
  protected outcome: RunOutcome<R> = { status: 0 };

  private opened: { close(): void }[] = [];
  private ioSources: IoSource[] = [];
  /** --trace-io: the device traced and where this command's events start (`owned`: we turned tracing on). */
  private traceSource?: { dev: BlockDevice; start: number; owned: boolean };

  /** --trace-io: this command's I/O pattern (`D×12 N | FLUSH(fsync)`), tracing stopped if this command started it. */
  protected tracePattern(): string | undefined {
    const t = this.traceSource;
    if (!t) return undefined;
    const events = (t.dev.trace ?? []).slice(t.start);
    if (t.owned) t.dev.trace = null;
    this.traceSource = undefined;
    return formatTrace(events);
  }

  /** Does the work: parse has been done; return the Result (rendered by the base). */
  protected abstract invoke(args: CmdArgs<T>, flags: CmdFlags<T>): Promise<R>;

  /**
   * Exit status of a successful run (its output is printed either way): 0 by default; fsck returns 1 when it has
   * findings. Under runWith() it is the outcome's status and process.exitCode is left alone.
   */
  protected exitStatus(_result: R): number {
    return 0;
  }

  /** Human output of a result; default: the JSON form. Use this.out() and the helpers of render.ts. */
  protected render(result: R): void {
    this.out(formatJson(result).trimEnd());
  }

  /** Writes one or more lines to stdout (the process's, or the RunContext's). */
  protected out(text: string): void {
    const w = this.ctx?.stdout ?? processStdout;
    w(text);
  }

  /** Writes a diagnostic line to stderr (the process's, or the RunContext's). */
  protected note(text: string): void {
    const w = this.ctx?.stderr ?? processStderr;
    w(text);
  }

  /**
   * A one-line progress display on stderr, redrawn in place, or undefined where it would get in the way: stderr not
   * a terminal, --json, or running under runWith(). Call `end()` when done, also on failure: it clears the line.
   */
  protected progress(label: string): ProgressLine | undefined {
    if (this.ctx || this.flags?.json || !process.stderr.isTTY) return undefined;
    return new ProgressLine(label, process.stderr);
  }

  /** The IMAGE argument (a USAGE error when the command has none). */
  protected imagePath(): string {
    const image = (this.args as { image?: string }).image;
    if (!image) throw new F2fsError('USAGE', 'missing IMAGE argument');
    return image;
  }

  /**
   * Opens the IMAGE arg as a Volume (read-only unless `write`), with --cache-mb; the base closes it once the
   * command is done, whatever happens. Under runWith() with `ctx.vol`, returns that volume instead (never closed here).
   */
  protected openVolume(opts: { write: boolean }): Volume {
    const shared = this.ctx?.vol;
    if (shared) {
      this.checkSharedWritable(opts.write, shared.dev);
      this.trackIo(shared.dev, false);
      return shared;
    }
    if (opts.write) checkImageWritable(this.imagePath());
    this.opened.push(acquireLock(this.imagePath(), { exclusive: opts.write, wait: this.flags.wait }));
    const vol = Volume.open(this.imagePath(), { readOnly: !opts.write, cacheMb: this.flags['cache-mb'] });
    this.opened.push(vol);
    this.trackIo(vol.dev, true);
    return vol;
  }

  /**
   * Opens the IMAGE arg as a bare block device, for commands that must work where a full Volume.open would
   * fail (dump-sb on an image whose checkpoint is damaged). Same closing and sharing rules as openVolume().
   */
  protected openDevice(opts: { write: boolean }): BlockDevice {
    const shared = this.ctx?.vol;
    if (shared) {
      this.checkSharedWritable(opts.write, shared.dev);
      this.trackIo(shared.dev, false);
      return shared.dev;
    }
    if (opts.write) {
      checkImageWritable(this.imagePath());
      this.opened.push(acquireLock(this.imagePath(), { exclusive: true, wait: this.flags.wait }));
    }
    const dev = openDevice(this.imagePath(), { readOnly: !opts.write, cacheMb: this.flags['cache-mb'] });
    this.opened.push(dev);
    this.trackIo(dev, true);
    return dev;
  }

  private checkSharedWritable(write: boolean, dev: BlockDevice): void {
    if (write && dev.readOnly) throw new F2fsError('EROFS', `${this.id ?? 'this command'} writes to the image, which is open read-only`);
  }

  /** Counts from zero for a device this command opened (opening a volume already reads), else from now. */
  private trackIo(dev: BlockDevice, fresh: boolean): void {
    if (this.ioSources.some((s) => s.stats === dev.stats)) return;
    if (this.flags?.['trace-io'] && !this.traceSource) {
      const owned = dev.trace === null;
      if (owned) dev.trace = [];
      this.traceSource = { dev, start: dev.trace!.length, owned };
    }
    this.ioSources.push({ stats: dev.stats, base: fresh ? { ...ZERO_IO } : { ...dev.stats } });
  }

  /** Device counters accumulated by this command (undefined when it opened no volume). */
  protected ioStats(): IoStats | undefined {
    if (this.ioSources.length === 0) return undefined;
    const io = { ...ZERO_IO };
    for (const { stats, base } of this.ioSources) {
      io.blocksRead += stats.blocksRead - base.blocksRead;
      io.blocksWritten += stats.blocksWritten - base.blocksWritten;
      io.flushes += stats.flushes - base.flushes;
      io.cacheHits += stats.cacheHits - base.cacheHits;
    }
    return io;
  }

  /** Closes what openVolume()/openDevice() opened; the first close error is thrown after every one was tried. */
  private closeVolumes(): void {
    let first: unknown;
    while (this.opened.length) {
      const it = this.opened.pop()!;
      try {
        it.close();
      } catch (e) {
        first ??= e;
      }
    }
    if (first !== undefined) throw first;
  }

  /** Args of this command as parsed: without IMAGE when running on a shared volume. */
  private argSpec(): Interfaces.ArgInput {
    const args = this.ctor.args ?? {};
    if (!this.ctx?.vol || !('image' in args)) return args;
    const { image: _image, ...rest } = args;
    return rest;
  }

  /**
   * oclif's parse, except that on a terminal a required arg left out is asked for instead of failing: one naming
   * something in the image (inImage) with the file picker, any other as a line of text. The answers are parsed as if
   * typed after a `--`. Without a terminal (or in a script), or when a question is cancelled, the usage error stands.
   */
  private async parseOrAsk(opts: Interfaces.Input<Record<string, unknown>, Record<string, unknown>, Record<string, unknown>>) {
    try {
      return await this.parse(opts);
    } catch (e) {
      const missing = missingArgs(e);
      if (!missing || !(this.ctx ? sessionCanPrompt() : canPrompt())) throw e;
      let image = missing.parse.output.args.image as string | undefined;
      const answers: string[] = [];
      for (const arg of missing.args) {
        const answer = await this.askFor(arg, image);
        if (answer === undefined) throw e;
        if (arg.name === 'image') image = answer;
        answers.push(...(arg.multiple ? answer.trim().split(/\s+/) : [answer]));
      }
      return this.parse(opts, [...this.argv, ...(this.argv.includes('--') ? [] : ['--']), ...answers]);
    }
  }

  /** Asks for one missing arg; undefined when cancelled. */
  private async askFor(arg: MissingArg, image: string | undefined): Promise<string | undefined> {
    const message = `${arg.name.toUpperCase()}${arg.description ? `: ${arg.description}` : ''}`;
    const vol = this.ctx?.vol;
    if (!isInImage(arg)) return askText(message);
    const answer = !vol && !image ? await askText(message) : await pickPath(vol ? imageFiles(vol) : filesOf(image!), message);
    return answer === undefined || !this.ctx?.absolute ? answer : this.ctx.absolute(answer);
  }

  override async run(): Promise<R> {
    const parsed = await this.parseOrAsk({
      args: this.argSpec(),
      flags: this.ctor.flags,
      baseFlags: this.ctor.baseFlags,
      strict: this.ctor.strict,
      enableJsonFlag: false,
    });
    this.flags = parsed.flags as CmdFlags<T>;
    this.args = parsed.args as CmdArgs<T>;
    let result: R;
    try {
      result = await this.invoke(this.args, this.flags);
    } catch (e) {
      try {
        this.closeVolumes();
      } catch {
        // the original error matters more
      }
      throw e;
    }
    this.closeVolumes(); // before output: closing may flush, and the io counters include it
    const io = this.flags['io-stats'] ? this.ioStats() ?? { ...ZERO_IO } : undefined;
    const trace = this.flags['trace-io'] ? this.tracePattern() ?? '(no I/O)' : undefined;
    if (this.flags.json) {
      this.out(formatJson({ ...result, ...(io ? { io } : {}), ...(trace !== undefined ? { trace } : {}) }).trimEnd());
    } else {
      this.render(result);
      if (io) this.note(formatIo(io));
      if (trace !== undefined) this.note(`trace: ${trace}`);
    }
    const status = this.exitStatus(result);
    this.outcome = { status, result };
    if (status && !this.ctx) process.exitCode = status;
    return result;
  }

  protected override async catch(err: Error & { exitCode?: number }): Promise<void> {
    const json = this.flags ? Boolean(this.flags.json) : argvWantsJson(this.argv);
    const wantIo = this.flags ? Boolean(this.flags['io-stats']) : this.argv.includes('--io-stats');
    const trace = this.tracePattern();
    if (trace !== undefined && !(this.flags?.json)) this.note(`trace: ${trace}`);
    const status = reportError(err, {
      json,
      commandId: this.id,
      io: wantIo ? this.ioStats() : undefined,
      stdout: (s) => this.out(s),
      stderr: (s) => this.note(s),
    });
    this.outcome = { status, error: classifyError(err, this.id).error };
    if (!this.ctx) process.exitCode = status;
  }

  protected override async finally(err: Error | undefined): Promise<void> {
    try {
      this.closeVolumes();
    } catch (e) {
      if (!err) await this.catch(e as Error);
    }
  }

  /**
   * Runs this command programmatically (shell, batch runner): `await Ls.runWith({config, vol}, ['/etc', '--json'])`.
   * Never throws for a command failure: the status and the error come back in the outcome.
   */
  static async runWith<R extends object>(
    this: new (argv: string[], config: Config) => F2fsCommand<typeof Command, R>,
    ctx: RunContext,
    argv: string[],
  ): Promise<RunOutcome<R>> {
    const cmd = new this(argv, ctx.config);
    cmd.ctx = ctx;
    if (!cmd.id) cmd.id = (this as unknown as typeof Command).id;
    await cmd._run();
    return cmd.outcome;
  }
}

/**
 * A command working on one image: the base opens IMAGE (read-only unless `static write = true` or
 * `wantsWrite(flags)` says so), passes the Volume to `execute`, and closes it afterwards.
 */
export abstract class VolumeCommand<T extends typeof Command, R extends object = object> extends F2fsCommand<T, R> {
  static override args: Interfaces.ArgInput = { image: imageArg() };
  /** Open the image read-write. */
  static write = false;

  /** Override for commands that write only with some flag (e.g. `--fix`). */
  protected wantsWrite(_flags: CmdFlags<T>): boolean {
    return (this.constructor as typeof VolumeCommand).write;
  }

  protected abstract execute(vol: Volume, args: CmdArgs<T>, flags: CmdFlags<T>): Promise<R>;

  protected async invoke(args: CmdArgs<T>, flags: CmdFlags<T>): Promise<R> {
    const vol = this.openVolume({ write: this.wantsWrite(flags) });
    return this.execute(vol, args, flags);
  }
}

/* ---- write support: mutating commands ---- */

/**
 * `label  42% (420/1000)  detail` on one terminal line, redrawn at most 10 times a second (and always for the last
 * step). Deliberately tiny: no dependency, no timers, nothing left on screen after `end()`.
 */
export class ProgressLine {
  private last = 0;
  private shown = false;

  constructor(
    private readonly label: string,
    private readonly stream: { write(s: string): unknown; columns?: number },
  ) {}

  /** `total` unknown: shows the count only. */
  update(done: number, total?: number, detail = ''): void {
    const now = Date.now();
    const final = total !== undefined && done >= total;
    if (!final && now - this.last < 100) return;
    this.last = now;
    const pct = total ? `  ${Math.min(100, Math.floor((done * 100) / total))}% (${done}/${total})` : `  ${done}`;
    const head = `${this.label}${pct}`;
    const room = Math.max(0, (this.stream.columns || 80) - 1 - head.length - 2);
    const tail = !detail || room < 8 ? '' : `  ${detail.length > room ? `…${detail.slice(detail.length - room + 1)}` : detail}`;
    this.stream.write(`\r\x1b[K${head}${tail}`);
    this.shown = true;
  }

  end(): void {
    if (this.shown) this.stream.write('\r\x1b[K');
    this.shown = false;
  }
}

/**
 * A mutating command must not touch an image the user made read-only. Checked before opening, so the message names
 * the cause instead of a bare EACCES: no write bit at all (refused even for root, who could write it anyway), or no
 * write access for this user, or a read-only host file system.
 */
export function checkImageWritable(image: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(image);
  } catch {
    return; // opening reports a missing file (ENOENT) with its own message
  }
  if (!st.isFile()) return; // ditto for directories and devices
  if ((st.mode & 0o222) === 0) {
    throw new F2fsError('EROFS', `${image} is a read-only file (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}): this command writes to the image`);
  }
  try {
    fs.accessSync(image, fs.constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EACCES';
    const why = code === 'EROFS' ? 'it lies on a read-only file system' : `no write permission (${code})`;
    throw new F2fsError('EROFS', `${image} cannot be written: ${why}; this command writes to the image`);
  }
}

/** A byte count with an optional binary suffix: 4096, 64K, 256M, 9G, 1T (also KiB/MB forms; all powers of 1024). */
export function parseSize(text: string, what: string): number {
  const m = /^\s*(\d+)\s*(?:([kmgtp])(?:i?b)?|b)?\s*$/i.exec(text);
  const mult = m?.[2] ? 1024 ** ('kmgtp'.indexOf(m[2].toLowerCase()) + 1) : 1;
  const n = m ? Number(m[1]) * mult : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new F2fsError('USAGE', `${what}: '${text}' is not a size (bytes, or with a K, M, G or T suffix)`);
  return n;
}

/** Permission bits in octal: 644, 0755, 4755. */
export function parseMode(text: string, what = 'mode'): number {
  if (!/^\s*[0-7]{1,5}\s*$/.test(text) || Number.parseInt(text, 8) > 0o7777) {
    throw new F2fsError('USAGE', `${what}: '${text}' is not an octal mode (e.g. 644, 0755, 4755)`);
  }
  return Number.parseInt(text, 8);
}

/** A time as epoch seconds (`1700000000`, `1700000000.25`) or ISO 8601 (`2024-01-02T03:04:05Z`). */
export function parseTime(text: string, what: string): { sec: number; nsec: number } {
  const t = text.trim();
  const epoch = /^(\d+)(?:\.(\d{1,9}))?$/.exec(t);
  if (epoch) {
    const sec = Number(epoch[1]);
    if (Number.isSafeInteger(sec)) return { sec, nsec: Number((epoch[2] ?? '').padEnd(9, '0')) };
  } else if (/^\d{4}-\d\d-\d\d/.test(t)) {
    const ms = Date.parse(t);
    if (Number.isFinite(ms) && ms >= 0) {
      // Date keeps milliseconds: take finer digits from the text when given.
      const frac = /T\d\d:\d\d:\d\d\.(\d+)/.exec(t)?.[1];
      return { sec: Math.floor(ms / 1000), nsec: frac ? Number(frac.slice(0, 9).padEnd(9, '0')) : (ms % 1000) * 1e6 };
    }
  }
  throw new F2fsError('USAGE', `${what}: '${text}' is not a time (epoch seconds, or ISO 8601 like 2024-01-02T03:04:05Z)`);
}

/** `UID`, `UID:GID` or `:GID`, numeric (u32). */
export function parseOwner(text: string): { uid?: number; gid?: number } {
  const m = /^\s*(\d+)?(?::(\d+))?\s*$/.exec(text);
  const uid = m?.[1] === undefined ? undefined : Number(m[1]);
  const gid = m?.[2] === undefined ? undefined : Number(m[2]);
  const ok = (n: number | undefined) => n === undefined || n <= 0xffffffff;
  if (!m || (uid === undefined && gid === undefined) || !ok(uid) || !ok(gid)) {
    throw new F2fsError('USAGE', `owner: '${text}' is not UID, UID:GID or :GID (numbers below 2^32)`);
  }
  return { uid, gid };
}

/**
 * How a mutating command ends (--sync): one table. A new mode (issue 4: `fsync`) is one entry here and one case in
 * MutatingCommand.endWrite, which does not compile until every mode is handled.
 */
export const SYNC_MODES = {
  checkpoint: 'write a checkpoint after the operation, like an unmount: the next process sees the work',
  fsync: 'fsync the files the operation touched, as Linux would (no checkpoint), then stop like a power cut: they survive through roll-forward recovery',
  none: 'stop right after the operation, like a power cut: nothing since the last checkpoint reaches the image',
  keep: 'leave the work pending in memory for a later checkpoint, fsync or quit (the default in shell and run sessions; one-shot: like none)',
} as const;
export type SyncMode = keyof typeof SYNC_MODES;
/** Default of a one-shot command (a command may choose another: `static defaultSync`); sessions default to 'keep'. */
export const DEFAULT_SYNC: SyncMode = 'checkpoint';

/** Flags of every mutating command (shown as WRITE in help). */
export const writeFlags = {
  // No parse-time default: unset means the command's defaultSync, or 'keep' in a shell/run session.
  sync: Flags.option({
    options: Object.keys(SYNC_MODES) as SyncMode[],
    description: `How the command ends (default: checkpoint; in shell and run sessions: keep). ${Object.entries(SYNC_MODES)
      .map(([k, v]) => `${k}: ${v}`)
      .join('; ')}.`,
    helpGroup: 'WRITE',
  })(),
};

/** What `--sync` did, in every mutating command's result (`"sync"` in the JSON). */
export interface SyncOutcome {
  mode: SyncMode;
  /** The checkpoint written (version as a decimal string in JSON), or null when none was. */
  checkpoint: { version: bigint; pack: 1 | 2 } | null;
  /** --sync fsync: the inodes fsynced and how (a fallback checkpoint shows as 'checkpoint'). */
  fsynced?: { ino: number; method: string }[];
}

/**
 * A command that changes the image. The base opens IMAGE read-write (refusing a read-only file), runs `mutate`, then
 * ends the way --sync says (default: a checkpoint, like an unmount). If `mutate` throws, nothing is written: the queued
 * blocks are dropped and no checkpoint is taken, so the image stays exactly as it was at its last checkpoint.
 *
 * Under runWith() on a shared volume (the shell), `--sync none` leaves the work pending in that volume for its owner
 * to checkpoint or cut, and a failed `mutate` leaves the volume's in-memory state as the operation left it (the device
 * queue is not dropped either: blocks already handed to it may be referenced by that state). Reopen the image to be sure.
 */
export abstract class MutatingCommand<T extends typeof Command, R extends object = object> extends VolumeCommand<T, R & { sync: SyncOutcome }> {
  static override baseFlags = { ...globalFlags, ...writeFlags };
  static override write = true;
  /** How a one-shot run ends without --sync (fsync: 'none', a checkpoint afterwards would make it pointless). */
  static defaultSync: SyncMode = DEFAULT_SYNC;

  /** The operation; its result gains `sync`. */
  protected abstract mutate(vol: Volume, args: CmdArgs<T>, flags: CmdFlags<T>): Promise<R>;

  protected override wantsWrite(): boolean {
    return true;
  }

  protected syncMode(): SyncMode {
    const explicit = (this.flags as { sync?: SyncMode }).sync;
    if (explicit) return explicit;
    if (this.ctx?.vol) return 'keep'; // a session: metadata stays in memory until checkpoint, fsync, commit or quit
    return (this.constructor as typeof MutatingCommand).defaultSync ?? DEFAULT_SYNC;
  }

  private isShared(vol: Volume): boolean {
    return this.ctx?.vol === vol;
  }

  protected async execute(vol: Volume, args: CmdArgs<T>, flags: CmdFlags<T>): Promise<R & { sync: SyncOutcome }> {
    let result: R;
    try {
      result = await this.mutate(vol, args, flags);
    } catch (e) {
      if (!this.isShared(vol)) vol.finish('none'); // drop every queued block; close() would too, this says it
      throw e;
    }
    return { ...result, sync: this.endWrite(vol, this.syncMode()) };
  }

  private endWrite(vol: Volume, mode: SyncMode): SyncOutcome {
    switch (mode) {
      case 'checkpoint':
        vol.finish('checkpoint');
        return { mode, checkpoint: { version: vol.cp.head.checkpoint_ver, pack: vol.cp.pack } };
      case 'fsync': {
        const done = this.isShared(vol) ? fsyncTouchedKeep(vol) : vol.finish('fsync');
        return { mode, checkpoint: null, fsynced: done.map((f) => ({ ino: f.ino, method: f.method })) };
      }
      case 'keep':
      case 'none':
        if (!this.isShared(vol)) {
          vol.finish('none');
          // Not for a command whose own ending is none (fsync): what it wrote did reach the image, and it says so.
          const own = (this.constructor as typeof MutatingCommand).defaultSync === 'none';
          if (!this.flags.json && mode === 'none' && !own) this.note(`${BIN}: --sync none: not checkpointed, the image is as it was at its last checkpoint`);
        }
        return { mode, checkpoint: null };
      default: {
        const unknown: never = mode;
        throw new F2fsError('USAGE', `--sync: unknown mode ${String(unknown)}`);
      }
    }
  }
}

/** --sync fsync on a shared volume: Volume.finish('fsync')'s fsyncs, without its power cut (the session goes on). */
function fsyncTouchedKeep(vol: Volume): FsyncResult[] {
  const out: FsyncResult[] = [];
  const touched = vol.touchedInodes();
  const files = touched.filter((ino) => isReg(vol.inode(ino).inode.i_mode));
  for (const ino of files.length ? files : touched) {
    if (!vol.dirty) break;
    out.push(fsyncFile(vol, ino));
  }
  return out;
}

const TRACE_TAGS: Record<string, string> = {
  data: 'D',
  node: 'N',
  'node-fsync': 'Nf',
  ssa: 'SSA',
  nat: 'NAT',
  sit: 'SIT',
  cp: 'CP',
  'cp-tail': 'CPt',
  sum: 'SUM',
  orphan: 'ORPH',
};

/**
 * A trace as one line: writes by kind in order (D data, N node, Nf node with fsync mark, SSA, NAT, SIT, CP, CPt the
 * checkpoint's last block, SUM, ORPH), a run of 3 or more shown as `D×12`; each flush as `| FLUSH(tag) |`.
 */
export function formatTrace(events: TraceEvent[]): string {
  if (events.length === 0) return '(no I/O)';
  const parts: string[] = [];
  let run = '';
  let n = 0;
  const end = () => {
    if (n >= 3) parts.push(`${run}×${n}`);
    else for (let i = 0; i < n; i++) parts.push(run);
    n = 0;
  };
  for (const e of events) {
    if (e.op === 'flush') {
      end();
      parts.push(`| FLUSH(${e.tag}) |`);
      continue;
    }
    const t = TRACE_TAGS[e.tag] ?? e.tag;
    if (t !== run) end();
    run = t;
    n++;
  }
  end();
  return parts.join(' ').replace(/\| \|/g, '|').replace(/^\| /, '').replace(/ \|$/, '');
}

/** Whether `p` names something in the image (ENOENT → false; other errors, like ENOTDIR, propagate). */
export function pathExists(vol: Volume, p: string, follow = true): boolean {
  try {
    vol.resolve(p, { follow });
    return true;
  } catch (e) {
    if (e instanceof F2fsError && e.code === 'ENOENT') return false;
    throw e;
  }
}

// Shared args/flags of the commands (numbers, FILESPECs, dump.f2fs ranges) live in args.ts; re-exported for convenience.
export { filespecArg, inImage, numberArg, parseNumber, parseRange, pathArg, rangeFlag, type TableRange } from './args.js';
