// The library API as a user gets it (issue 16): `npm pack`, the tarball installed in a scratch project, the
// example golden test (examples/golden.test.mjs) run there, and a TypeScript file type-checked against the .d.ts.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT } from './helpers/cli.js';
import { scratchPath } from './helpers/scratch.js';

function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.is(r.status, 0, `${cmd} ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

test('npm pack, install the tarball in a scratch project, run the example golden test and type-check against the .d.ts', () => {
  const dir = scratchPath('api-pack', true);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'proj'), { recursive: true });
  // What prepack does (without the typecheck the suite's build already ran), then pack as published.
  run(process.execPath, ['scripts/build.mjs', '--no-typecheck', '--api'], ROOT);
  const tarball = run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], ROOT).trim().split('\n').pop()!;
  const proj = path.join(dir, 'proj');
  fs.writeFileSync(path.join(proj, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', path.join(dir, tarball), 'uvu@0.5.6'], proj);
  fs.copyFileSync(path.join(ROOT, 'examples/golden.test.mjs'), path.join(proj, 'golden.test.mjs'));
  const out = run(process.execPath, ['golden.test.mjs'], proj);
  assert.match(out, /Passed:\s+3/);
  // The .d.ts: a typed use compiles, a wrong one does not.
  const tsc = path.join(ROOT, 'node_modules/typescript/bin/tsc');
  const opts = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', '--typeRoots', path.join(ROOT, 'node_modules/@types'), '--types', 'node'];
  fs.writeFileSync(
    path.join(proj, 'good.ts'),
    "import { openVolume, mkfsMemory, statInode, diffImages } from 'f2fsdbg';\nconst { dev } = mkfsMemory(64 << 20);\nconst vol = openVolume(dev);\nconst size: number | string = statInode(vol, vol.inode(3)).size;\nconst same: boolean = diffImages(vol, vol).identical;\nconsole.log(size, same);\n",
  );
  run(process.execPath, [tsc, ...opts, 'good.ts'], proj);
  fs.writeFileSync(path.join(proj, 'bad.ts'), "import { statInode } from 'f2fsdbg';\nconst n: number = statInode;\nconsole.log(n);\n");
  const bad = spawnSync(process.execPath, [tsc, ...opts, 'bad.ts'], { cwd: proj, encoding: 'utf8' });
  assert.is(bad.status, 2, bad.stdout);
});

test.run();
