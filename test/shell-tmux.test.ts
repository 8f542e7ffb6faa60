// f2fsdbg on a real terminal: `f2fsdbg shell IMG -w` (and one-shot commands) inside tmux, keys sent with send-keys,
// the screen read with capture-pane and polled until the expected text shows. Skipped when tmux is not installed.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fsckBoth } from './helpers/fsck.js';
import { mkfsImage, tmpPath } from './helpers/images.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RUN = path.join(ROOT, 'bin/run.js');
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const HISTORY = tmpPath('history');
const PROMPT = /f2fsdbg:[^\n]*> /g;

const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One tmux session running `cmd` (then `EXITED <status>`), 160x50. */
class Pane {
  private static n = 0;
  readonly name = `f2fsdbg-test-${process.pid}-${Pane.n++}`;

  constructor(cmd: string) {
    tmux('new-session', '-d', '-s', this.name, '-x', '160', '-y', '50', `F2FSDBG_HISTORY=${HISTORY} ${cmd}; echo "EXITED $?"; sleep 60`);
    // tmux >= 3.3 moves a cleared screen into the scrollback, whenever it gets to the clear: after clear() maybe.
    spawnSync('tmux', ['set-option', '-w', '-t', this.name, 'scroll-on-clear', 'off']);
  }

  screen(): string {
    return tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', this.name);
  }

  keys(...k: string[]): void {
    tmux('send-keys', '-t', this.name, ...k);
  }

  type(text: string): void {
    this.keys('-l', text);
  }

  /** Waits until the screen matches `re` (10 s at most: the machine may be busy); returns the screen. */
  async waitFor(re: RegExp, what: string): Promise<string> {
    let s = '';
    for (let i = 0; i < 200; i++) {
      s = this.screen();
      if (re.test(s)) return s;
      await sleep(50);
    }
    assert.unreachable(`${what}: ${re} not on screen:\n${s}`);
    return s;
  }

  /** Types a line and waits for the next shell prompt after it (and for `expect`). */
  async line(text: string, expect: RegExp = /./): Promise<string> {
    const prompts = (this.screen().match(PROMPT) ?? []).length;
    this.type(text);
    this.keys('Enter');
    for (let i = 0; i < 200; i++) {
      const s = this.screen();
      if ((s.match(PROMPT) ?? []).length > prompts && expect.test(s)) return s;
      await sleep(50);
    }
    assert.unreachable(`after '${text}': ${expect} not on screen:\n${this.screen()}`);
    return '';
  }

  /** A clear screen (Ctrl-L) and no scrollback, for a test that matches what comes next only. */
  async clear(): Promise<void> {
    this.keys('C-l');
    tmux('clear-history', '-t', this.name);
    await this.waitFor(/^f2fsdbg:[^\n]*> *\n*$/, 'a cleared screen with an empty prompt');
  }

  kill(): void {
    spawnSync('tmux', ['kill-session', '-t', this.name]);
  }
}

function assertClean(img: string): void {
  const r = fsckBoth(img);
  assert.equal(r.problems, [], r.problems.join('\n'));
}

if (!hasTmux) {
  test.skip('tmux is not installed');
} else {
  const img = mkfsImage('tmux.img');
  let sh: Pane;
  test.before(() => {
    fs.writeFileSync(HISTORY, 'info\n');
    sh = new Pane(`${process.execPath} ${RUN} shell ${img} -w`);
  });
  test.after(() => sh.kill());

  test('prompt, commands, an error line', async () => {
    await sh.waitFor(/f2fsdbg:tmux\.img:\/>\s*$/m, 'first prompt');
    await sh.line('mkdir /dir1', /created directory \/dir1/);
    await sh.line('write /dir1/hello.txt --data hi', /created \/dir1\/hello\.txt/);
    const s = await sh.line('cat /nope', /ENOENT/);
    assert.match(s, /^f2fsdbg: ENOENT: \/nope: no such file or directory/m);
  });

  test('Tab completes a command name and a path in the image', async () => {
    sh.type('chec');
    sh.keys('Tab');
    await sh.waitFor(/> checkpoint\s*$/m, 'command name completed');
    sh.keys('C-u');
    sh.type('cat /di');
    sh.keys('Tab');
    await sh.waitFor(/> cat \/dir1\/$/m, 'directory completed');
    sh.type('he');
    sh.keys('Tab');
    await sh.waitFor(/> cat \/dir1\/hello\.txt\s*$/m, 'file completed');
    sh.keys('Enter');
    await sh.waitFor(/^hi\nf2fsdbg:tmux\.img:\/>\s*$/m, 'cat output, then the prompt');
  });

  test('Tab completes a flag of the command', async () => {
    await sh.clear();
    sh.type('ls --j');
    sh.keys('Tab');
    await sh.waitFor(/> ls --json\s*$/m, 'flag completed');
    sh.keys('C-u');
  });

  test('history: Up recalls the previous line, and it is saved', async () => {
    await sh.clear();
    sh.keys('Up');
    await sh.waitFor(/> cat \/dir1\/hello\.txt\s*$/m, 'recalled line');
    sh.keys('C-u');
    assert.match(fs.readFileSync(HISTORY, 'utf8'), /^cat \/dir1\/hello\.txt\s*$/m);
    assert.match(fs.readFileSync(HISTORY, 'utf8'), /^info$/m, 'older history kept');
  });

  test('Ctrl-R searches the history backwards: Enter runs the match, Ctrl-R again goes older, Ctrl-G gives the line back', async () => {
    await sh.clear();
    sh.keys('C-r');
    sh.type('hello');
    await sh.waitFor(/\(reverse-i-search\)'hello': cat \/dir1\/hello\.txt\s*$/m, 'the newest line holding the query');
    sh.keys('Enter');
    await sh.waitFor(/^hi\nf2fsdbg:tmux\.img:\/>\s*$/m, 'the match ran');
    await sh.clear();
    sh.type('keep');
    sh.keys('C-r');
    sh.type('dir1');
    await sh.waitFor(/'dir1': cat \/dir1\/hello\.txt\s*$/m, 'newest match');
    sh.keys('C-r');
    await sh.waitFor(/'dir1': write \/dir1\/hello\.txt --data hi\s*$/m, 'an older match');
    sh.type('zzz');
    await sh.waitFor(/\(failed reverse-i-search\)'dir1zzz': write \/dir1/m, 'no entry holds it: the last match stays');
    sh.keys('C-g');
    await sh.waitFor(/^f2fsdbg:tmux\.img:\/> keep\s*$/m, 'the line as it was before the search');
    sh.keys('C-u');
    sh.keys('C-r');
    sh.type('mkdir');
    await sh.waitFor(/'mkdir': mkdir \/dir1\s*$/m, 'match');
    sh.keys('End');
    sh.type('/sub');
    await sh.waitFor(/^f2fsdbg:tmux\.img:\/> mkdir \/dir1\/sub\s*$/m, 'an editing key leaves the search with the match to edit');
    sh.keys('Enter');
    await sh.waitFor(/created directory \/dir1\/sub/, 'the edited line ran');
  });

  test('help COMMAND shows its usage and examples', async () => {
    await sh.clear();
    const s = await sh.line('help cat', /EXAMPLES/);
    // As typed in the shell: no IMAGE (the session's image).
    assert.match(s, /^USAGE\n\s+\$ f2fsdbg cat FILESPEC/m, 'usage line');
    assert.match(s, /^\s+cat \/etc\/hostname/m, 'an example');
    assert.match(s, /--staged/, 'its own flag');
  });

  test('pick: type a few letters, Enter: the chosen path is printed', async () => {
    await sh.clear();
    sh.type('pick');
    sh.keys('Enter');
    await sh.waitFor(/^\? file/m, 'the picker');
    sh.type('hel');
    await sh.waitFor(/❯ \/dir1\/hello\.txt/, 'the match highlighted');
    sh.keys('Enter');
    await sh.waitFor(/^\/dir1\/hello\.txt\nf2fsdbg:tmux\.img:\/>\s*$/m, 'the path printed, then the prompt');
  });

  test('cat without a path opens the picker; the file picked is shown', async () => {
    await sh.clear();
    sh.type('cat');
    sh.keys('Enter');
    await sh.waitFor(/^\? FILESPEC: path in the image/m, 'the picker for FILESPEC');
    sh.type('dir1hel');
    await sh.waitFor(/❯ \/dir1\/hello\.txt/, 'the match highlighted');
    sh.keys('Enter');
    await sh.waitFor(/^hi\nf2fsdbg:tmux\.img:\/>\s*$/m, 'the content, then the prompt');
    // The line editor is back: history and completion work after the picker.
    sh.keys('Up');
    await sh.waitFor(/> cat\s*$/m, 'history after the picker');
    sh.keys('C-u');
  });

  test('Ctrl-C drops the line being typed and the shell stays; a second one too', async () => {
    await sh.clear();
    sh.type('rm -r /dir1');
    sh.keys('C-c');
    await sh.waitFor(/> rm -r \/dir1\^C\nf2fsdbg:tmux\.img:\/> *$/m, 'a fresh prompt after ^C');
    sh.keys('C-c');
    await sh.waitFor(/\/dir1\^C\nf2fsdbg:tmux\.img:\/> \^C\nf2fsdbg:tmux\.img:\/> *$/m, 'another prompt after a second ^C');
    await sh.line('ls /dir1', /regular\s+hello\.txt/); // alive, and nothing was removed
  });

  test('crash (confirmed) drops unwritten work; recover replays the fsynced file; quit checkpoints', async () => {
    await sh.clear();
    await sh.line('checkpoint', /checkpoint \d+ written/);
    await sh.line('write /dir1/hello.txt --data synced --truncate', /wrote \/dir1\/hello\.txt/);
    await sh.line('fsync /dir1/hello.txt', /fsync marks/);
    await sh.line('write /lost --data x', /created \/lost/);
    sh.type('crash');
    sh.keys('Enter');
    await sh.waitFor(/Power cut now: drop everything not yet written\? \(y\/N\)/, 'confirmation');
    sh.keys('y');
    sh.keys('Enter');
    await sh.waitFor(/power cut: unwritten blocks dropped/, 'crash');
    const ls = await sh.line('ls /', /directory\s+dir1\n/);
    assert.not.match(ls.slice(ls.lastIndexOf('ls /')), /lost/);
    sh.type('recover');
    sh.keys('Enter');
    await sh.waitFor(/Run 'recover'\? \(y\/N\)/, 'confirmation');
    sh.keys('y');
    sh.keys('Enter');
    await sh.waitFor(/checkpoint \d+ written to pack/, 'recovery');
    await sh.line('cd dir1', /tmux\.img:\/dir1>\s*$/m);
    await sh.line('cat hello.txt', /^synced$/m);
    sh.type('quit');
    sh.keys('Enter');
    await sh.waitFor(/EXITED 0/, 'exit');
    assert.is(execFileSync(process.execPath, [RUN, 'cat', img, '/dir1/hello.txt'], { encoding: 'utf8' }), 'synced');
    assertClean(img);
  });

  test('background GC: an idle shell cleans a section now and then, says so above the prompt, and the image stays clean', async () => {
    const img3 = mkfsImage('tmux-bggc.img');
    const mib = tmpPath('bggc-1m');
    const half = tmpPath('bggc-512k');
    fs.writeFileSync(mib, Buffer.alloc(1 << 20, 1));
    fs.writeFileSync(half, Buffer.alloc(1 << 19, 7));
    const p = new Pane(`${process.execPath} ${RUN} shell ${img3} -w --fs-mode lfs --gc-min-sleep-ms 400`);
    try {
      await p.waitFor(/f2fsdbg:tmux-bggc\.img:\/>\s*$/m, 'first prompt');
      // Garbage: two 1 MiB files, then half of one rewritten out of place (lfs) and the other deleted, checkpointed.
      await p.line(`write /a --from ${mib}`, /created \/a/);
      await p.line(`write /b --from ${mib}`, /created \/b/);
      await p.line('checkpoint', /checkpoint \d+ written/);
      await p.line(`write /a --from ${half}`, /\/a \(ino/);
      await p.line('rm /b', /removed \/b/);
      await p.line('checkpoint', /checkpoint \d+ written/);
      await p.waitFor(/^background gc: segment \d+ \(data\), moved \d+ of \d+ valid blocks/m, 'a background pass');
      p.type('quit');
      p.keys('Enter');
      await p.waitFor(/EXITED 0/, 'end of the shell');
    } finally {
      p.kill();
    }
    assertClean(img3);
  });

  test('Ctrl-D on an empty line ends the shell, checkpointing its work', async () => {
    const img2 = mkfsImage('tmux-eof.img');
    const p = new Pane(`${process.execPath} ${RUN} shell ${img2} -w`);
    try {
      await p.waitFor(/f2fsdbg:tmux-eof\.img:\/>\s*$/m, 'first prompt');
      await p.line('write /kept --data kept', /created \/kept/);
      p.keys('C-d');
      await p.waitFor(/checkpoint written at quit\nEXITED 0/, 'end of the shell');
    } finally {
      p.kill();
    }
    assert.is(execFileSync(process.execPath, [RUN, 'cat', img2, '/kept'], { encoding: 'utf8' }), 'kept');
    assertClean(img2);
  });

  test('one-shot commands on a terminal ask for a missing path with the picker', async () => {
    const img3 = mkfsImage('tmux-oneshot.img');
    const w = new Pane(`${process.execPath} ${RUN} write ${img3} --data typed`);
    try {
      await w.waitFor(/^\? PATH: file in the image/m, 'the picker for PATH');
      w.type('/typed.txt'); // a new name: offered as typed
      await w.waitFor(/❯ \/typed\.txt/, 'the typed name offered');
      w.keys('Enter');
      await w.waitFor(/^created \/typed\.txt \(ino \d+\): 5 bytes[^\n]*\nEXITED 0/m, 'write done');
    } finally {
      w.kill();
    }
    const c = new Pane(`${process.execPath} ${RUN} cat ${img3}`);
    try {
      await c.waitFor(/^\? FILESPEC: path in the image/m, 'the picker for FILESPEC');
      c.type('typ');
      await c.waitFor(/❯ \/typed\.txt/, 'the match highlighted');
      c.keys('Enter');
      await c.waitFor(/^typedEXITED 0/m, 'the content');
    } finally {
      c.kill();
    }
    const x = new Pane(`${process.execPath} ${RUN} xattr-get ${img3} /typed.txt`);
    try {
      await x.waitFor(/^\? NAME: attribute name/m, 'a text prompt for NAME');
      x.keys('C-c'); // cancelled: the usage error of a missing arg
      await x.waitFor(/f2fsdbg: USAGE: Missing 1 required arg: name[^\n]*\nEXITED 2/, 'usage error after ^C');
    } finally {
      x.kill();
    }
    assertClean(img3);
  });
}

test.run();
