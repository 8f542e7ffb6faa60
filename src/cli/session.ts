/*
 * A session: one image opened once, command lines run one after another on the same Volume (the batch runner `run`
 * and the interactive `shell` both drive one).
 *
 * Semantics (see docs/shell.md):
 * - Every line goes through the same command classes as the CLI, via `runWith({config, vol})`: the IMAGE arg is
 *   implied, relative FILESPECs are resolved against the session's cwd.
 * - Mutating commands default to `--sync keep`: metadata stays in memory until `checkpoint`, an fsync, an atomic
 *   commit or the end of the session (which checkpoints a dirty volume unless told not to).
 * - Session-only commands: cd, pwd, crash (power cut: pending writes dropped, image reopened from disk),
 *   open IMAGE, close, quit/exit. `checkpoint` and `recover` are the ordinary commands on the shared volume.
 */
import path from 'node:path';
import type { Command, Config } from '@oclif/core';
import { F2fsError } from '../errors.js';
import { isDir } from '../fs/inode.js';
import { Volume } from '../fs/volume.js';
import { BIN, classifyError, errorLine } from './errors.js';
import { BESIDE_WRITER_NOTE, checkImageWritable, pendingNote, stillStable, type RunOutcome } from './base.js';
import { acquireLock, type ImageLock } from './lock.js';
import { guardWrites } from '../fs/writecheck.js';
import { isInImage } from './args.js';
import { escapeControls } from './render.js';

export interface SessionOptions {
  config: Config;
  readOnly: boolean;
  /** Do not echo each line (`f2fsdbg: LINE` on stderr). */
  quiet?: boolean;
  /** --cache-mb of the session's volume. */
  cacheMb?: number;
  /** --fs-mode of the session's writes (Linux's mount -o mode=). */
  mode?: 'adaptive' | 'lfs';
  /** --key: fscrypt master keys of the session's volume. */
  keys?: Buffer[];
  /** Queue behind another process's lock instead of failing. */
  wait?: boolean;
  stdout?: (line: string) => void;
  stderr?: (line: string) => void;
  /** Asks before destructive lines (shell on a terminal); undefined: never asks. */
  confirm?: (message: string) => Promise<boolean>;
  /**
   * `run --json`: each line's outcome comes back as data instead of being printed (commands run with --json, their
   * document kept as the result; no echo, no error lines on stderr).
   */
  json?: boolean;
  /** A writable open takes an image damaged where writes rely on it (--force); otherwise refuses it. */
  force?: boolean;
}

/** What one line did. */
export interface LineOutcome {
  status: number;
  /** With `json`: the command's --json document (a session command's own small result), when it produced one. */
  result?: unknown;
  error?: F2fsError;
}

/** Commands the session handles itself (plus `help`, which the shell adds). */
export const SESSION_COMMANDS: Record<string, string> = {
  cd: 'cd DIR: change the current directory in the image',
  pwd: 'pwd: print the current directory',
  crash: 'crash: power cut now: every unwritten block is dropped and the image reopened from disk',
  open: 'open IMAGE: close the current image (checkpointing it if dirty) and open IMAGE',
  close: 'close [--no-checkpoint]: checkpoint the image if dirty (unless --no-checkpoint) and close it',
  quit: 'quit [--no-checkpoint]: end the session (a dirty image is checkpointed first, unless --no-checkpoint)',
  exit: 'exit: same as quit',
};

/**
 * Shell-like word splitting: blanks separate words; '…' keeps everything literally; "…" allows \" \\ \$ \`;
 * a backslash outside quotes escapes the next character; `#` at the start of a word starts a comment.
 */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else if (c === '#' && !inWord) {
      break;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end === -1) throw new F2fsError('USAGE', 'unterminated single quote');
      cur += line.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      inWord = true;
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\' && j + 1 < line.length && '"\\$`'.includes(line[j + 1])) j++;
        cur += line[j];
      }
      if (j >= line.length) throw new F2fsError('USAGE', 'unterminated double quote');
      i = j;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

type CommandClass = typeof Command & {
  runWith(ctx: { config: Config; vol?: Volume; stdout?: (s: string) => void; stderr?: (s: string) => void }, argv: string[]): Promise<RunOutcome<object>>;
};

export class Session {
  vol?: Volume;
  image?: string;
  cwd = '/';
  /** Status of the first failed line (0 while none failed). */
  firstFailure = 0;
  /** `quit` was run. */
  ended = false;
  private lock?: ImageLock;
  private readonly classes = new Map<string, CommandClass | null>();
  readonly out: (s: string) => void;
  /** Diagnostics sink (replaceable: crash-explore collects a failing line's message). */
  err: (s: string) => void;
  /** `SCRIPT:LINE` of the line running (run -q): put before its error lines, as compilers and debugfs -f do. */
  where?: string;

  constructor(readonly opts: SessionOptions) {
    this.out = opts.stdout ?? ((s) => void process.stdout.write(`${s}\n`));
    this.err = opts.stderr ?? ((s) => void process.stderr.write(`${s}\n`));
  }

  get readOnly(): boolean {
    return Boolean(this.opts.readOnly);
  }

  /** Opens IMAGE for the session (the lock first: exclusive for a writer, shared for a reader). */
  async open(image: string): Promise<void> {
    if (this.vol) this.close(true);
    if (!this.readOnly) checkImageWritable(image);
    const lock = acquireLock(image, { exclusive: !this.readOnly, wait: this.opts.wait, underWriter: this.readOnly });
    try {
      this.vol = Volume.open(image, { readOnly: this.readOnly, cacheMb: this.opts.cacheMb, mode: this.opts.mode, keys: this.opts.keys });
      if (!this.readOnly && !this.opts.force) guardWrites(this.vol);
      if (lock.writer !== undefined) {
        this.err(`f2fsdbg: note: pid ${lock.writer} is writing this image: each command reads its last durable checkpoint (now ${this.vol.cp.head.checkpoint_ver}), ${BESIDE_WRITER_NOTE}`);
      }
    } catch (e) {
      this.vol?.close();
      this.vol = undefined;
      lock.release();
      throw e;
    }
    this.lock = lock;
    this.image = image;
    this.cwd = '/';
    const waiting = pendingNote(this.vol);
    if (waiting) this.err(waiting);
  }

  /** Ends the current image: a checkpoint if it is dirty and `checkpoint`, else whatever is pending is dropped. */
  close(checkpoint: boolean): { checkpointed: boolean } {
    const vol = this.vol;
    if (!vol) return { checkpointed: false };
    let checkpointed = false;
    try {
      if (checkpoint && !vol.readOnly && vol.dirty) {
        vol.finish('checkpoint');
        checkpointed = true;
      }
    } finally {
      this.vol = undefined;
      vol.close();
      this.lock?.release();
      this.lock = undefined;
    }
    return { checkpointed };
  }

  /**
   * A reader beside a live writer: every command starts from the writer's last durable checkpoint (a session lives
   * longer than the two checkpoints after which the one it opened may be overwritten).
   */
  private reopenBeside(): void {
    this.vol?.close();
    this.vol = undefined;
    this.vol = Volume.open(this.image!, { readOnly: true, cacheMb: this.opts.cacheMb, keys: this.opts.keys });
  }

  /** Power cut: drops every pending block and reopens the image from what reached it. */
  crash(): void {
    const vol = this.requireVol();
    vol.dev.discardPending();
    vol.close();
    this.vol = undefined;
    this.vol = Volume.open(this.image!, { readOnly: this.readOnly, cacheMb: this.opts.cacheMb, mode: this.opts.mode, keys: this.opts.keys });
    if (!this.readOnly && !this.opts.force) guardWrites(this.vol);
    const waiting = pendingNote(this.vol);
    if (waiting) this.err(waiting);
  }

  requireVol(): Volume {
    if (!this.vol) throw new F2fsError('USAGE', 'no image is open (use: open IMAGE)');
    return this.vol;
  }

  /** The command class of `id` (undefined when there is none). */
  async commandClass(id: string): Promise<CommandClass | undefined> {
    if (!this.classes.has(id)) {
      const found = this.opts.config.findCommand(id);
      this.classes.set(id, found ? ((await found.load()) as CommandClass) : null);
    }
    return this.classes.get(id) ?? undefined;
  }

  /** An absolute image path for `p` as typed (relative to the cwd; `<ino>` left alone). */
  absolute(p: string): string {
    if (p.startsWith('/') || p.startsWith('<')) return p;
    return path.posix.join(this.cwd, p);
  }

  /** argv with the positional path args of `cls` made absolute against the cwd. */
  resolveArgv(cls: CommandClass, argv: string[], shared: boolean): string[] {
    const names = Object.keys(cls.args ?? {}).filter((n) => !(shared && n === 'image'));
    // Args marked as naming something in the image (inImage) are relative to the cwd when not absolute.
    const pathy = new Set(names.filter((n) => isInImage((cls.args as Record<string, object>)[n])));
    const flags = { ...(cls.baseFlags ?? {}), ...(cls.flags ?? {}) } as Record<string, { type: string; char?: string }>;
    const takesValue = (tok: string): boolean => {
      if (tok.includes('=')) return false;
      const def = tok.startsWith('--') ? flags[tok.slice(2)] : Object.values(flags).find((f) => f.char === tok.slice(1));
      return def?.type === 'option';
    };
    const out = [...argv];
    let pos = 0;
    let flagsDone = false;
    for (let i = 0; i < out.length; i++) {
      const tok = out[i];
      if (!flagsDone && tok === '--') {
        flagsDone = true;
        continue;
      }
      if (!flagsDone && tok.length > 1 && tok.startsWith('-') && !/^-\d/.test(tok)) {
        if (takesValue(tok)) i++;
        continue;
      }
      const name = names[Math.min(pos, names.length - 1)];
      pos++;
      if (name && pathy.has(name) && tok !== '') out[i] = this.absolute(tok);
    }
    // An image path left out that defaults to somewhere (ls's directory) means the cwd here, as in a shell.
    const next = names[pos];
    const spec = next === undefined ? undefined : (cls.args as Record<string, { default?: unknown }>)[next];
    if (next && pathy.has(next) && spec?.default !== undefined) out.push(...(flagsDone ? [] : ['--']), this.cwd);
    return out;
  }

  /** Runs one line; returns its status (0 for blank lines and comments). Never throws. */
  async exec(line: string): Promise<number> {
    return (await this.execLine(line))?.status ?? 0;
  }

  /** Runs one line and says what it did; null for a blank line or a comment. Never throws. */
  async execLine(line: string): Promise<LineOutcome | null> {
    let words: string[];
    try {
      words = splitWords(line);
    } catch (e) {
      return this.fail(e);
    }
    if (words.length === 0) return null;
    if (!this.opts.quiet && !this.opts.json) this.err(`${BIN}: ${line.trim()}`);
    try {
      const outcome = await this.dispatch(words[0], words.slice(1));
      if (outcome.status && !this.firstFailure) this.firstFailure = outcome.status;
      return outcome;
    } catch (e) {
      return this.fail(e);
    }
  }

  private fail(e: unknown): LineOutcome {
    const { error, status } = classifyError(e);
    if (!this.opts.json) this.diag(errorLine(error));
    if (!this.firstFailure) this.firstFailure = status;
    return { status, error };
  }

  /** A diagnostic of the current line: an error line gets `where` in front. */
  private readonly diag = (s: string): void => this.err(this.where && s.startsWith(`${BIN}: `) ? `${this.where}: ${s}` : s);

  /** A session command done: its line for humans, or its result with `json`. */
  private done(result: object, text?: string): LineOutcome {
    if (this.opts.json) return { status: 0, result };
    if (text !== undefined) this.out(escapeControls(text));
    return { status: 0 };
  }

  private async dispatch(name: string, argv: string[]): Promise<LineOutcome> {
    switch (name) {
      case 'pwd':
        this.requireVol();
        return this.done({ cwd: this.cwd }, this.cwd);
      case 'cd': {
        const vol = this.requireVol();
        const target = path.posix.normalize(this.absolute(argv[0] ?? '/'));
        const r = vol.resolve(target, { follow: true });
        if (!isDir(vol.inode(r.ino).inode.i_mode)) throw new F2fsError('ENOTDIR', `${target} is not a directory`);
        this.cwd = target.length > 1 ? target.replace(/\/+$/, '') : '/';
        return this.done({ cwd: this.cwd });
      }
      case 'crash': {
        if (this.readOnly) throw new F2fsError('EROFS', 'crash: the image is open read-only (nothing to lose)');
        if (this.opts.confirm && !(await this.opts.confirm('Power cut now: drop everything not yet written?'))) return { status: 0 };
        this.crash();
        const version = this.vol!.cp.head.checkpoint_ver;
        return this.done({ image: this.image, checkpoint: { version, pack: this.vol!.cp.pack } }, `power cut: unwritten blocks dropped, ${this.image} reopened at checkpoint ${version}`);
      }
      case 'open':
        if (!argv[0]) throw new F2fsError('USAGE', 'open IMAGE');
        await this.open(argv[0]);
        return this.done({ image: argv[0], readOnly: this.readOnly }, `opened ${argv[0]}${this.readOnly ? ' (read-only)' : ''}`);
      case 'close': {
        this.requireVol();
        const { checkpointed } = this.close(!argv.includes('--no-checkpoint'));
        return this.done({ checkpointed }, checkpointed ? 'checkpointed and closed' : 'closed');
      }
      case 'quit':
      case 'exit':
      case 'q':
        this.ended = true;
        if (argv.includes('--no-checkpoint')) this.close(false);
        return { status: 0 };
      default:
        return this.runCommand(name, argv);
    }
  }

  private async runCommand(name: string, argv: string[]): Promise<LineOutcome> {
    const cls = await this.commandClass(name);
    if (!cls) throw new F2fsError('USAGE', `unknown command '${name}' (try help)`);
    // Commands from plugins (autocomplete) are oclif's, not ours: they need a shell of their own.
    if (!('runWith' in cls)) throw new F2fsError('USAGE', `'${name}' runs only as its own command: ${BIN} ${name}`);
    // mkfs takes its own IMAGE; every other command runs on the session's volume.
    const isVolumeCmd = name !== 'mkfs';
    if (this.opts.confirm && (await this.needsConfirm(name, argv)) && !(await this.opts.confirm(`Run '${[name, ...argv].join(' ')}'?`))) return { status: 0 };
    // json: the command prints its own --json document (errors included) here instead of on stdout.
    const printed: string[] = [];
    const ctx = { config: this.opts.config, stdout: this.opts.json ? (s: string) => void printed.push(s) : this.out, stderr: this.diag, absolute: (p: string) => this.absolute(p) };
    const flags = this.opts.json ? ['--json'] : [];
    let outcome: RunOutcome<object>;
    if (!isVolumeCmd) {
      // mkfs and friends take their own IMAGE: let go of it first when it is the session's image.
      const target = argv.find((a) => !a.startsWith('-'));
      const mine = this.image && target && path.resolve(target) === path.resolve(this.image);
      if (mine && this.vol) this.close(false);
      outcome = await cls.runWith(ctx, [...flags, ...argv]);
      if (mine) await this.open(this.image!);
    } else {
      const writer = this.lock?.writer;
      if (writer !== undefined) this.reopenBeside();
      const vol = this.requireVol();
      outcome = await cls.runWith({ ...ctx, vol }, [...flags, ...this.resolveArgv(cls, argv, true)]);
      const version = vol.cp.head.checkpoint_ver;
      if (writer !== undefined && !outcome.error && !stillStable(this.image!, vol, version)) {
        throw new F2fsError('EBUSY', `pid ${writer} wrote a checkpoint while this command read checkpoint ${version}: the answer above may mix both; run it again`);
      }
    }
    const { status, error } = outcome;
    // The document of a failed command is its {"error"}: kept as `error` itself.
    return { status, error, result: this.opts.json && !error && printed.length ? JSON.parse(printed.join('\n')) : undefined };
  }

  /** Destructive lines that the shell confirms on a terminal (rm -r, recover; mkfs asks by itself). */
  private async needsConfirm(name: string, argv: string[]): Promise<boolean> {
    if (name === 'rm') return argv.some((a) => a === '-r' || a === '--recursive' || /^-[a-z]*r/.test(a));
    if (name === 'recover') return !argv.includes('--dry-run');
    return false;
  }
}

/** One executed script line, as `run --json` reports it (docs/json.md). */
export interface LineRecord {
  /** Line number in the script (blank lines and comments counted). */
  line: number;
  /** The line as written (trimmed). */
  command: string;
  ok: boolean;
  status: number;
  result: unknown;
  error: Record<string, unknown> | null;
}

/**
 * Runs lines from an async source until the end, `quit`, or the first failure (unless keepGoing); `records` receives
 * one record per line executed. `lines` counts the lines read, `ran` those executed (not blank, not comments).
 */
export async function runLines(
  session: Session,
  lines: AsyncIterable<string> | Iterable<string>,
  opts: { keepGoing?: boolean; records?: LineRecord[]; script?: string },
): Promise<{ lines: number; ran: number; failed: number }> {
  let n = 0;
  let ran = 0;
  let failed = 0;
  for await (const line of lines) {
    n++;
    if (opts.script !== undefined) session.where = `${opts.script}:${n}`;
    const o = await session.execLine(line);
    if (!o) continue;
    ran++;
    opts.records?.push({ line: n, command: line.trim(), ok: o.status === 0, status: o.status, result: o.result ?? null, error: o.error ? (o.error.toJSON().error as Record<string, unknown>) : null });
    if (o.status) {
      failed++;
      if (!opts.keepGoing) break;
    }
    if (session.ended) break;
  }
  return { lines: n, ran, failed };
}
