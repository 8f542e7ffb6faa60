/*
 * The interactive shell: node:readline as the line editor (history in ~/.f2fsdbg_history, Tab completion of command
 * names, of the current command's flags and of paths inside the image), each line run by a Session.
 * inquirer (prompt.ts, imported lazily) asks confirmations, missing args and `pick`; while the shell runs it lends
 * prompts the terminal: the readline interface is closed meanwhile and reopened afterwards with the same history.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { addReverseSearch } from './history-search.js';
import { gc } from '../fs/gc.js';
import { Help, type Command } from '@oclif/core';
import { F2fsError } from '../errors.js';
import { isDir } from '../fs/inode.js';
import { confirm, imageFiles, lendTerminal, pickPath } from './prompt.js';
import { SESSION_COMMANDS, Session, splitWords } from './session.js';
import { escapeControls } from './render.js';

const HISTORY_MAX = 1000;

export function historyFile(): string {
  return process.env.F2FSDBG_HISTORY || path.join(os.homedir(), '.f2fsdbg_history');
}

function loadHistory(): string[] {
  try {
    // File: oldest first, one line each; readline wants newest first.
    return fs.readFileSync(historyFile(), 'utf8').split('\n').filter(Boolean).slice(-HISTORY_MAX).reverse();
  } catch {
    return [];
  }
}

function saveHistory(history: string[]): void {
  try {
    fs.writeFileSync(historyFile(), `${history.slice(0, HISTORY_MAX).reverse().join('\n')}\n`);
  } catch {
    // a read-only home: history is not kept
  }
}

/** The words of `line` for completion (unterminated quotes tolerated: completion then works on the raw tail). */
function wordsForCompletion(line: string): string[] {
  try {
    const w = splitWords(line);
    if (/\s$/.test(line) || line === '') w.push('');
    return w;
  } catch {
    const w = line.split(/\s+/);
    return w;
  }
}

/** A command as typed in a session: no IMAGE argument (the session's image), in its usage, args and examples. */
export function sessionForm(cmd: Command.Loadable): Command.Loadable {
  if (!cmd.args?.image || cmd.id === 'mkfs') return cmd;
  const { image: _image, ...args } = cmd.args;
  const bin = '<%= config.bin %> ';
  const examples = (cmd.examples ?? []).map((e) => (typeof e === 'string' ? e.replace(new RegExp(`${bin}${cmd.id} \\S+ ?`), `${cmd.id} `) : e));
  return { ...cmd, args, examples };
}

/** oclif's help, giving back the text of one command's help (the shell prints it through the session). */
class SessionHelp extends Help {
  commandText(cmd: Command.Loadable): string {
    return this.formatCommand(cmd);
  }
}

/** The kernel's gc_no_gc_sleep_time: after a pass that found no victim, the thread waits this long. */
const NO_GC_SLEEP_MS = 300_000;

export class Shell {
  private history = loadHistory();
  private rl?: readline.Interface;
  private bgTimer?: NodeJS.Timeout;

  constructor(
    private readonly session: Session,
    /** Background GC while idle (gc_thread_func), every `minSleepMs` of waiting for a line. */
    private readonly backgroundGc?: { minSleepMs: number },
  ) {}

  /**
   * One pass of the GC thread while the shell is idle: f2fs_gc in background mode, one section (cost-benefit
   * victim), said above the prompt; the next pass waits the minimum sleep, or the no-GC sleep if nothing was found.
   */
  private scheduleBackgroundGc(ms: number): void {
    const vol = this.session.vol;
    if (!this.backgroundGc || !vol || vol.readOnly) return;
    this.bgTimer = setTimeout(() => {
      let next = NO_GC_SLEEP_MS;
      try {
        const r = gc(vol, { mode: 'background', sections: 1 });
        if (r.victims.length) {
          next = this.backgroundGc!.minSleepMs;
          const v = r.victims[0];
          this.above(`background gc: segment ${v.segno} (${v.kind}), moved ${v.moved} of ${v.valid} valid blocks; prefree until the next checkpoint`);
        }
      } catch (e) {
        this.above(escapeControls(`background gc stopped: ${e instanceof F2fsError ? e.describe() : (e as Error).message}`));
        return;
      }
      this.scheduleBackgroundGc(next);
    }, ms);
    this.bgTimer.unref();
  }

  /** A message printed above the prompt, the line being typed redrawn below it. */
  private above(msg: string): void {
    process.stdout.write(`\r\x1b[K${msg}\n`);
    this.rl?.prompt(true);
  }

  prompt(): string {
    const s = this.session;
    // The working directory is a path of the image's names: escaped like every other output.
    return escapeControls(`f2fsdbg:${s.image ? path.basename(s.image) : '-'}:${s.vol ? s.cwd : '-'}> `);
  }

  /** Every name the shell accepts as a first word. */
  commandNames(): string[] {
    const ids = this.commands().map((c) => c.id.replaceAll(':', ' '));
    return [...new Set([...ids, ...Object.keys(SESSION_COMMANDS), 'help', 'pick'])].sort();
  }

  /** readline completer: command names, flags of the command, paths in the image. */
  async complete(line: string): Promise<[string[], string]> {
    const words = wordsForCompletion(line);
    const last = words[words.length - 1] ?? '';
    if (words.length <= 1) {
      const hits = this.commandNames().filter((n) => n.startsWith(last));
      return [hits.map((h) => `${h} `), last];
    }
    if (last.startsWith('-')) {
      const cls = await this.session.commandClass(words[0]);
      const flags = cls ? Object.keys({ ...(cls.baseFlags ?? {}), ...(cls.flags ?? {}) }).map((f) => `--${f}`) : [];
      return [flags.filter((f) => f.startsWith(last)).sort(), last];
    }
    return [this.completePath(last), last];
  }

  /** Entries of the directory part of `word` (relative to the cwd) whose names start with its last part. */
  completePath(word: string): string[] {
    const vol = this.session.vol;
    if (!vol || word.startsWith('<')) return [];
    const slash = word.lastIndexOf('/');
    const dirPart = slash === -1 ? '' : word.slice(0, slash + 1);
    const base = slash === -1 ? word : word.slice(slash + 1);
    try {
      const dir = vol.resolve(this.session.absolute(dirPart || '.'), { follow: true });
      const info = vol.inode(dir.ino);
      if (!isDir(info.inode.i_mode)) return [];
      const out: string[] = [];
      for (const d of vol.dirs.entries(info)) {
        const name = d.name.toString('utf8');
        if (name === '.' || name === '..' || !name.startsWith(base)) continue;
        out.push(`${dirPart}${name}${d.fileType === 2 ? '/' : ''}`);
      }
      return out.sort();
    } catch {
      return [];
    }
  }

  private open(): readline.Interface {
    const rl = readline.createInterface({
      input: process.stdin,
      output: process.stdout,
      terminal: true,
      history: this.history,
      historySize: HISTORY_MAX,
      removeHistoryDuplicates: true,
      completer: (line: string, cb: (err: null | Error, result: [string[], string]) => void) => {
        this.complete(line).then(
          (r) => cb(null, r),
          () => cb(null, [[], line]),
        );
      },
    });
    addReverseSearch(rl, () => this.prompt());
    rl.on('line', (line: string) => this.push(line));
    rl.on('close', () => {
      if (this.rl === rl) this.push(null); // Ctrl-D (not our own close before a prompt)
    });
    rl.on('history', (h: string[]) => {
      this.history = h;
      saveHistory(h);
    });
    rl.on('SIGINT', () => {
      // ^C: drop the line being typed, stay in the shell.
      process.stdout.write('^C\n');
      rl.write(null, { ctrl: true, name: 'u' });
      rl.prompt();
    });
    this.rl = rl;
    return rl;
  }

  /** Lines typed ahead (a paste of several lines), null for end of input; and the reader waiting for one. */
  private queue: (string | null)[] = [];
  private waiting?: (line: string | null) => void;

  private push(line: string | null): void {
    const w = this.waiting;
    this.waiting = undefined;
    if (w) w(line);
    else this.queue.push(line);
  }

  /** The next line, or null at end of input (Ctrl-D). */
  private readLine(): Promise<string | null> {
    if (this.queue.length) {
      return Promise.resolve(this.queue.shift()!); // already echoed by readline as it was typed
    }
    const rl = this.rl ?? this.open();
    rl.setPrompt(this.prompt());
    rl.prompt();
    this.scheduleBackgroundGc(this.backgroundGc?.minSleepMs ?? 0);
    return new Promise((resolve) => {
      this.waiting = (line) => {
        clearTimeout(this.bgTimer);
        resolve(line);
      };
    });
  }

  /** Runs `fn` with the terminal handed over to an inquirer prompt (the shell's TerminalLender). */
  private async withoutReadline<T>(fn: () => Promise<T>): Promise<T> {
    const rl = this.rl;
    if (rl) {
      this.history = [...(rl as unknown as { history: string[] }).history];
      this.rl = undefined;
      rl.close(); // (its own 'close' handler detaches it from stdin: keep it); the next readLine() reopens it
    }
    return fn();
  }

  async confirm(message: string): Promise<boolean> {
    return confirm(message, { default: false });
  }

  /** Fuzzy file picker over the image's paths; undefined when cancelled. */
  async pick(message = 'file'): Promise<string | undefined> {
    return pickPath(imageFiles(this.session.requireVol()), message);
  }

  /** The commands to list and complete (the hidden ones, like `autocomplete script`, left out). */
  private commands() {
    return this.session.opts.config.commands.filter((c) => !c.hidden);
  }

  async help(id?: string): Promise<void> {
    const out = this.session.out;
    if (!id) {
      out('Commands (run any of them without the IMAGE argument; `help COMMAND` for its flags):');
      for (const c of this.commands().sort((a, b) => a.id.localeCompare(b.id))) out(`  ${c.id.padEnd(16)} ${c.summary ?? ''}`);
      out('Session:');
      for (const [k, v] of Object.entries(SESSION_COMMANDS)) out(`  ${k.padEnd(16)} ${v.replace(/^[^:]*: /, '')}`);
      out(`  ${'pick'.padEnd(16)} choose a file with a fuzzy finder and print its path (a command missing a path asks with it)`);
      out(`  ${'help [COMMAND]'.padEnd(16)} this list, or a command's help`);
      return;
    }
    const cmd = this.session.opts.config.findCommand(id);
    if (!cmd) {
      const own = SESSION_COMMANDS[id];
      if (own) return out(own);
      throw new F2fsError('USAGE', `no help for '${id}': unknown command`);
    }
    out(new SessionHelp(this.session.opts.config, { stripAnsi: !process.stdout.isTTY }).commandText(sessionForm(cmd)).trimEnd());
  }

  /** The read-eval-print loop; resolves at quit or Ctrl-D. */
  async loop(): Promise<void> {
    lendTerminal((fn) => this.withoutReadline(fn));
    try {
      await this.readEvalPrint();
    } finally {
      lendTerminal(undefined);
      this.rl?.close();
      this.rl = undefined;
    }
  }

  private async readEvalPrint(): Promise<void> {
    const s = this.session;
    for (;;) {
      const line = await this.readLine();
      if (line === null) {
        process.stdout.write('\n');
        break;
      }
      let words: string[];
      try {
        words = splitWords(line);
      } catch {
        words = [];
      }
      try {
        if (words[0] === 'help') {
          await this.help(words[1]);
          continue;
        }
        if (words[0] === 'pick') {
          const p = await this.pick();
          if (p) s.out(escapeControls(p));
          continue;
        }
      } catch (e) {
        s.err(escapeControls(`f2fsdbg: ${e instanceof F2fsError ? e.describe() : (e as Error).message}`));
        continue;
      }
      await s.exec(line);
      if (s.ended) break;
    }
  }
}
