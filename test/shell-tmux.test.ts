// The interactive shell on a real terminal: `f2fsdbg shell IMG -w` inside tmux, keys sent with send-keys, the screen
// read with capture-pane. Skipped when tmux is not installed.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkfsImage, tmpPath } from './helpers/images.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RUN = path.join(ROOT, 'bin/run.js');
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const NAME = `f2fsdbg-test-${process.pid}`;
const HISTORY = tmpPath('history');

const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', NAME);
const keys = (...k: string[]) => tmux('send-keys', '-t', NAME, ...k);

/** Waits until the screen matches `re` (5 s at most); returns the screen. */
async function waitFor(re: RegExp, what: string): Promise<string> {
  let s = '';
  for (let i = 0; i < 100; i++) {
    s = screen();
    if (re.test(s)) return s;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.unreachable(`${what}: ${re} not on screen:\n${s}`);
  return s;
}

/** Types a line and waits for the next prompt after it. */
async function line(text: string, expect: RegExp = /./): Promise<string> {
  const prompts = (screen().match(/f2fsdbg:[^\n]*> /g) ?? []).length;
  keys('-l', text);
  keys('Enter');
  for (let i = 0; i < 100; i++) {
    const s = screen();
    if ((s.match(/f2fsdbg:[^\n]*> /g) ?? []).length > prompts && expect.test(s)) return s;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.unreachable(`after '${text}': ${expect} not on screen:\n${screen()}`);
  return '';
}

if (!hasTmux) {
  test.skip('tmux is not installed');
} else {
  const img = mkfsImage('tmux.img');
  test.before(() => {
    fs.writeFileSync(HISTORY, 'info\n');
    tmux('new-session', '-d', '-s', NAME, '-x', '160', '-y', '50', `F2FSDBG_HISTORY=${HISTORY} ${process.execPath} ${RUN} shell ${img} -w; echo "EXITED $?"; sleep 60`);
  });
  test.after(() => {
    spawnSync('tmux', ['kill-session', '-t', NAME]);
  });

  test('prompt, commands, an error line', async () => {
    await waitFor(/f2fsdbg:tmux\.img:\/>\s*$/m, 'first prompt');
    await line('mkdir /dir1', /created directory \/dir1/);
    await line('write /dir1/hello.txt --data hi', /created \/dir1\/hello\.txt/);
    const s = await line('cat /nope', /ENOENT/);
    assert.match(s, /^f2fsdbg: ENOENT: \/nope: no such file or directory/m);
  });

  test('Tab completes a command name and a path in the image', async () => {
    keys('-l', 'chec');
    keys('Tab');
    await waitFor(/> checkpoint\s*$/m, 'command name completed');
    keys('C-u');
    keys('-l', 'cat /di');
    keys('Tab');
    await waitFor(/> cat \/dir1\/$/m, 'directory completed');
    keys('-l', 'he');
    keys('Tab');
    await waitFor(/> cat \/dir1\/hello\.txt\s*$/m, 'file completed');
    keys('Enter');
    await waitFor(/^hi$/m, 'cat output');
  });

  test('history: Up recalls the previous line, and it is saved', async () => {
    await waitFor(/^hi\nf2fsdbg:tmux\.img:\/>\s*$/m, 'prompt after cat');
    keys('Up');
    await waitFor(/> cat \/dir1\/hello\.txt\s*$/m, 'recalled line');
    keys('C-u');
    assert.match(fs.readFileSync(HISTORY, 'utf8'), /^cat \/dir1\/hello\.txt\s*$/m);
    assert.match(fs.readFileSync(HISTORY, 'utf8'), /^info$/m, 'older history kept');
  });

  test('crash (confirmed) drops unwritten work; recover replays the fsynced file; quit checkpoints', async () => {
    await line('checkpoint', /checkpoint \d+ written/);
    await line('write /dir1/hello.txt --data synced --truncate', /wrote \/dir1\/hello\.txt/);
    await line('fsync /dir1/hello.txt', /fsync marks/);
    await line('write /lost --data x', /created \/lost/);
    keys('-l', 'crash');
    keys('Enter');
    await waitFor(/Power cut now: drop everything not yet written\? \(y\/N\)/, 'confirmation');
    keys('y');
    keys('Enter');
    await waitFor(/power cut: unwritten blocks dropped/, 'crash');
    const ls = await line('ls /', /directory\s+dir1\n/);
    assert.not.match(ls.slice(ls.lastIndexOf('ls /')), /lost/);
    keys('-l', 'recover');
    keys('Enter');
    await waitFor(/Run 'recover'\? \(y\/N\)/, 'confirmation');
    keys('y');
    keys('Enter');
    await waitFor(/checkpoint \d+ written to pack/, 'recovery');
    await line('cd dir1', /tmux\.img:\/dir1>\s*$/m);
    await line('cat hello.txt', /^synced$/m);
    keys('-l', 'quit');
    keys('Enter');
    await waitFor(/EXITED 0/, 'exit');
    assert.is(execFileSync(process.execPath, [RUN, 'cat', img, '/dir1/hello.txt'], { encoding: 'utf8' }), 'synced');
  });
}

test.run();
