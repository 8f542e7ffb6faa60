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
import { F2fsError, fail } from '../errors.js';
import { packStatuses } from '../fs/checkpoint.js';
import { pendingRollForward } from '../fs/recovery.js';
import { Volume } from '../fs/volume.js';
import { Feature } from '../fs/layout/superblock.js';
import { loadCompressors } from '../fs/codecs/index.js';
import { lazyImport } from './lazy.js';
import { pinTime } from '../fs/clock.js';
import { inImage, isInImage } from './args.js';
import { classifyError, reportError } from './errors.js';
import { ProgressLine } from './progress.js';
import { formatIo, formatTrace } from './trace.js';
import { escapeControls, formatJson } from './render.js';
import { acquireLock as takeLock } from './lock.js';
import { askText, canPrompt, imageFiles, pickPath, sessionCanPrompt } from './prompt.js';

/**
 * Reading beside a live writer. The writer's logs only fill blocks free in the last durable checkpoint V (LFS takes
 * free segments, SSR only slots free in V's bitmap too), and its next checkpoint goes to the other CP pack and the
 * other NAT/SIT copies, so the metadata V references stays as it was until that next checkpoint is complete: only
 * then may freed blocks be reused. V is read if no newer pack is valid at the end of the command; a half-written pack
 * fails validation (head and tail versions, crc), so the reader picks V anyway. File data is the exception, as in
 * Linux: blocks rewritten in place (small volumes, pinned and cold files) may already hold the writer's newer bytes.
 */
export const BESIDE_WRITER_NOTE = "without the writer's later changes (but file blocks it rewrites in place may already show newer data)";

/** After the reads: false when the writer completed a checkpoint newer than `version` meanwhile (reads may be torn). */
export function stillStable(image: string, vol: Volume, version: bigint): boolean {
  const dev = openDevice(image, { readOnly: true, cacheMb: 0 });
  try {
    return packStatuses(dev, vol.geo).every((p) => !p.valid || (p.version ?? 0n) <= version);
  } finally {
    dev.close();
  }
}


/** What an open says when fsynced nodes wait for roll-forward (answers given before would be stale without it). */
export function pendingNote(vol: Volume): string | undefined {
  let n: number;
  try {
    n = pendingRollForward(vol);
  } catch {
    return undefined; // a hint never stops a command: a damaged log is fsck's to report
  }
  return n ? `f2fsdbg: note: ${n} fsynced node${n === 1 ? ' is' : 's are'} waiting: \`recover\` applies them as Linux's mount would` : undefined;
}

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
  key: Flags.string({
    description: 'fscrypt master key: FILE holds the raw key (v2 keys are found by their identifier); encrypted names, contents and symlink targets read decrypted, and written encrypted. Repeat for several keys.',
    multiple: true,
    multipleNonGreedy: true,
    helpValue: 'FILE',
    helpGroup: 'GLOBAL',
  }),
};

/** --fs-mode (the kernel's fs_mode): Linux's mount -o mode= for the writes of a command or session. */
export const modeFlag = () =>
  Flags.option({
    options: ['adaptive', 'lfs'] as const,
    description:
      "Allocation as Linux's mount -o mode=: adaptive (default) rewrites data in place on volumes up to 16 GiB and fills dirty segments when free ones run short; lfs always writes to fresh blocks, so overwritten versions stay on disk (history, undel) until cleaned.",
    helpGroup: 'WRITE',
  })();

/** --force of the writers (mutating commands, writable sessions): write to an image found damaged where writes rely on it. */
export const forceFlag = () =>
  Flags.boolean({
    description: 'Write even though the image is damaged where writes rely on it (checkpoint counts against the SIT, the NAT entries of the nodes written); without it such an image is refused (CORRUPT, exit 3) and left unchanged.',
    helpGroup: 'WRITE',
  });

/** The raw master keys named by --key. */
export function readKeys(files: string[] | undefined): Buffer[] {
  return (files ?? []).map((f) => {
    try {
      return fs.readFileSync(f);
    } catch (e) {
      return fail('IO', `cannot read the key file ${f}: ${(e as Error).message}`);
    }
  });
}

/** --timestamp: every time this writes is that time, and nothing random (a reproducible image; also SOURCE_DATE_EPOCH). */
export const timestampFlag = () =>
  Flags.integer({
    description: 'Reproducible output: every time written is this one (epoch seconds) and random fields derive from the uuid and inode; SOURCE_DATE_EPOCH does the same.',
    min: 0,
    max: 0xffffffff,
    helpGroup: 'WRITE',
  });

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
  /** Run after the work and before output (a reader beside a writer checks that its checkpoint held). */
  private beforeOutput?: () => void;
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

  /** Writes one or more lines to stdout (the process's, or the RunContext's), terminal controls escaped. */
  protected out(text: string): void {
    this.outRaw(escapeControls(text));
  }

  /** Writes lines as they are: file content (cat), which the user asked for byte for byte. */
  protected outRaw(text: string): void {
    const w = this.ctx?.stdout ?? processStdout;
    w(text);
  }

  /** Writes a diagnostic line to stderr (the process's, or the RunContext's), terminal controls escaped. */
  protected note(text: string): void {
    const w = this.ctx?.stderr ?? processStderr;
    w(escapeControls(text));
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
   * Opens the IMAGE arg (or `image`: a second image, e.g. diff's) as a Volume (read-only unless `write`), with
   * --cache-mb; the base closes it once the command is done, whatever happens. Under runWith() with `ctx.vol`, the
   * IMAGE arg is that volume (never closed here).
   */
  protected openVolume(opts: { write: boolean; image?: string }): Volume {
    const shared = this.ctx?.vol;
    if (shared && opts.image === undefined) {
      this.checkSharedWritable(opts.write, shared.dev);
      this.trackIo(shared.dev, false);
      return shared;
    }
    const image = opts.image ?? this.imagePath();
    if (opts.write) checkImageWritable(image);
    const lock = takeLock(image, { exclusive: opts.write, wait: this.flags.wait, underWriter: !opts.write });
    this.opened.push({ close: () => lock.release() });
    const vol = Volume.open(image, { readOnly: !opts.write, cacheMb: this.flags['cache-mb'], mode: (this.flags as { 'fs-mode'?: 'adaptive' | 'lfs' })['fs-mode'], keys: readKeys(this.flags.key) });
    this.opened.push(vol);
    if (lock.writer !== undefined) {
      const version = vol.cp.head.checkpoint_ver;
      this.note(`f2fsdbg: note: pid ${lock.writer} is writing this image: shown as of its last durable checkpoint ${version}, ${BESIDE_WRITER_NOTE}`);
      this.beforeOutput = () => {
        if (!stillStable(this.imagePath(), vol, version)) fail('EBUSY', `pid ${lock.writer} wrote a checkpoint while this command read checkpoint ${version}: the answer may mix both; run it again`);
      };
    }
    if (this.id !== 'recover') {
      const waiting = pendingNote(vol);
      if (waiting) this.note(waiting);
    }
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
      const lock = takeLock(this.imagePath(), { exclusive: true, wait: this.flags.wait });
      this.opened.push({ close: () => lock.release() });
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

  /**
   * Args of this command as parsed: without IMAGE when running on a shared volume, and never taken from stdin (oclif
   * fills a missing arg from a piped stdin: `echo 3 | f2fsdbg bmap IMG /f` mapped block 3, a loop reading lines lost
   * them to the command, and every such command waited 10 ms for input).
   */
  private argSpec(): Interfaces.ArgInput {
    const args = Object.entries(this.ctor.args ?? {}).filter(([name]) => !(this.ctx?.vol && name === 'image'));
    // A copy keeps the inImage mark (the picker asks for such an arg): it is held by object identity.
    const noStdin = (arg: Interfaces.Arg<unknown>) => {
      const copy = { ...arg, ignoreStdin: true };
      return isInImage(arg) ? inImage(copy) : copy;
    };
    return Object.fromEntries(args.map(([name, arg]) => [name, noStdin(arg)]));
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
    // --timestamp (mkfs, mutating commands, sessions): the clock is fixed for this command only (src/fs/clock.ts).
    const timestamp = (this.flags as { timestamp?: number }).timestamp;
    const unpinned = timestamp !== undefined ? pinTime(timestamp) : undefined;
    try {
      result = await this.invoke(this.args, this.flags);
      this.beforeOutput?.();
    } catch (e) {
      try {
        this.closeVolumes();
      } catch {
        // the original error matters more
      }
      throw e;
    } finally {
      if (timestamp !== undefined) pinTime(unpinned);
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
    const write = this.wantsWrite(flags);
    const vol = this.openVolume({ write });
    // Writes to a compression image may compress clusters with zstd, whose WebAssembly loads asynchronously.
    if (write && vol.sb.feature & Feature.COMPRESSION) await loadCompressors(lazyImport);
    return this.execute(vol, args, flags);
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

