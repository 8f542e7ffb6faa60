// Ctrl-R reverse incremental history search for the shell's node:readline editor (readline has none), as bash's.

import type readline from 'node:readline';

interface Key {
  name?: string;
  ctrl?: boolean;
  meta?: boolean;
  sequence?: string;
}

/** The parts of readline.Interface that are not in its typings: the key handler, the line buffer and the redraw. */
interface Editor {
  line: string;
  cursor: number;
  history: string[];
  _ttyWrite(s: string | undefined, key: Key): void;
  _refreshLine(): void;
}

/** Search state: what is typed, the history entry matched (newest first) and the line to give back on cancel. */
export class ReverseSearch {
  query = '';
  index = -1;
  /** No entry holds the query: the last match stays shown, as in bash. */
  failed = false;

  constructor(
    private readonly history: readonly string[],
    readonly original: string,
  ) {}

  get match(): string {
    return this.index < 0 ? this.original : this.history[this.index];
  }

  /** Moves to the newest entry at or older than `from` that holds the query. */
  private find(from: number): void {
    for (let i = Math.max(from, 0); i < this.history.length; i++) {
      if (this.history[i].includes(this.query)) {
        this.index = i;
        this.failed = false;
        return;
      }
    }
    this.failed = true;
  }

  type(text: string): void {
    this.query += text;
    this.find(this.index);
  }

  backspace(): void {
    this.query = this.query.slice(0, -1);
    this.index = -1;
    this.failed = false;
    if (this.query) this.find(0);
  }

  /** Ctrl-R again: the next older match. */
  older(): void {
    if (this.query) this.find(this.index + 1);
  }

  prompt(): string {
    return `(${this.failed ? 'failed ' : ''}reverse-i-search)'${this.query}': `;
  }
}

/**
 * Wraps the interface's key handler: Ctrl-R enters the search, typed characters narrow it, Ctrl-R again goes to an
 * older match, Backspace widens it, Enter runs the match, Ctrl-G or Ctrl-C gives back the line as it was, and any
 * other key leaves the search with the match on the line and then acts on it (arrows, Ctrl-A/E to edit it).
 */
export function addReverseSearch(rl: readline.Interface, prompt: () => string): void {
  const ed = rl as unknown as Editor;
  const handle = ed._ttyWrite.bind(ed);
  let search: ReverseSearch | undefined;

  const show = () => {
    const s = search!;
    rl.setPrompt(s.prompt());
    ed.line = s.match;
    ed.cursor = Math.max(0, s.index < 0 ? ed.line.length : s.match.indexOf(s.query));
    ed._refreshLine();
  };
  const leave = (line: string) => {
    search = undefined;
    rl.setPrompt(prompt());
    ed.line = line;
    ed.cursor = line.length;
    ed._refreshLine();
  };

  ed._ttyWrite = (s, key = {}) => {
    if (key.ctrl && key.name === 'r') {
      if (search) search.older();
      else search = new ReverseSearch(ed.history, ed.line);
      return show();
    }
    if (!search) return handle(s, key);
    if (key.ctrl && (key.name === 'g' || key.name === 'c')) return leave(search.original);
    if (key.name === 'backspace') {
      search.backspace();
      return show();
    }
    if (s && !key.ctrl && !key.meta && key.name !== 'return' && key.name !== 'enter' && key.name !== 'escape' && key.name !== 'tab' && s >= ' ') {
      search.type(s);
      return show();
    }
    leave(search.match);
    if (key.name !== 'escape') handle(s, key);
  };
}
