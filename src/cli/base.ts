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

import { Args, Command, Errors, Flags, type Config, type Interfaces } from '@oclif/core';
import { DEFAULT_CACHE_MB, openDevice, type BlockDevice, type IoStats } from '../device/index.js';
import { F2fsError } from '../errors.js';
import { Volume } from '../fs/volume.js';
import { formatJson } from './render.js';

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

  /** Does the work: parse has been done; return the Result (rendered by the base). */
  protected abstract invoke(args: CmdArgs<T>, flags: CmdFlags<T>): Promise<R>;

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

  override async run(): Promise<R> {
    const parsed = await this.parse({
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
    if (this.flags.json) {
      this.out(formatJson(io ? { ...result, io } : result).trimEnd());
    } else {
      this.render(result);
      if (io) this.note(formatIo(io));
    }
    this.outcome = { status: 0, result };
    return result;
  }

  protected override async catch(err: Error & { exitCode?: number }): Promise<void> {
    const json = this.flags ? Boolean(this.flags.json) : argvWantsJson(this.argv);
    const wantIo = this.flags ? Boolean(this.flags['io-stats']) : this.argv.includes('--io-stats');
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
