#!/usr/bin/env node
// npm run build: typecheck (tsc --noEmit), bundle src/cli/entry.ts into dist/cli.cjs with esbuild,
// drop the stale V8 code cache, and write oclif.manifest.json when asked (--manifest).
//   node scripts/build.mjs                 typecheck + bundle
//   node scripts/build.mjs --no-typecheck  bundle only (bin/dev.js users, quick iterations)
//   node scripts/build.mjs --manifest      also run `oclif manifest` (measured: no start-up gain, see README)
//   node scripts/build.mjs --api           also write the API's .d.ts files (dist/types; npm pack does this)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const t0 = performance.now();

function step(name, fn) {
  const t = performance.now();
  fn();
  console.error(`build: ${name} ${Math.round(performance.now() - t)} ms`);
}

function run(cmd, argv) {
  const r = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`build: ${path.basename(argv[0] ?? cmd)} failed`);
    process.exit(r.status ?? 1);
  }
}

if (!args.has('--no-typecheck')) {
  step('typecheck', () => run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', root]));
}

// oclif modules that only serve code paths f2fsdbg never takes, replaced by a stub that throws if ever called:
// tinyglobby (+fdir, picomatch) for the "pattern" command strategy, minimatch for matching package.json plugins.
// Saves ~3-4 ms of module initialisation per run (measured; see README "Start-up").
const STUBBED = ['tinyglobby', 'minimatch'];
const stubPlugin = {
  name: 'stub-unused',
  setup(b) {
    b.onResolve({ filter: new RegExp(`^(${STUBBED.join('|')})$`) }, (a) => ({ path: a.path, namespace: 'stub' }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, (a) => {
      const what = JSON.stringify(`f2fsdbg: module '${a.path}' is stubbed out of the bundle (scripts/build.mjs)`);
      return {
        loader: 'js',
        contents: `const fail = (k) => () => { throw new Error(${what} + ': ' + String(k)); };
module.exports = new Proxy({}, { get: (_, k) => (k === '__esModule' ? false : fail(k)) });`,
      };
    });
  },
};

// One ejs in the bundle: @oclif/plugin-autocomplete pins ejs 3 beside oclif's ejs 6, and only calls render() (the
// same in both, and only for its zsh-with-spaces and PowerShell scripts). 17 KiB less to load at every start.
const oneEjs = {
  name: 'one-ejs',
  setup(b) {
    b.onResolve({ filter: /^ejs$/ }, (a) =>
      a.resolveDir.includes(`${path.sep}plugin-autocomplete${path.sep}`) ? b.resolve('ejs', { resolveDir: root, kind: 'require-call' }) : undefined,
    );
  },
};

const outfile = path.join(root, 'dist/cli.cjs');
const t = performance.now();
const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: ['src/cli/entry.ts'],
  outfile,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // typescript/ts-node/tsx: oclif's optional auto-transpile (disabled at run time) would pull 9 MB in.
  // @inquirer/*: ESM-only, imported lazily with import() where a prompt is shown; resolved from node_modules.
  // @bokuweb/zstd-wasm: loads its .wasm beside itself (__dirname), imported with import() only to write zstd clusters.
  external: ['typescript', 'ts-node', 'tsx', 'tsx/*', '@inquirer/*', '@bokuweb/zstd-wasm'],
  minifySyntax: true,
  minifyWhitespace: true,
  keepNames: true, // error names and class names stay readable in reports
  sourcemap: 'linked',
  sourcesContent: false,
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
  plugins: [stubPlugin, oneEjs],
});
fs.rmSync(path.join(root, 'dist/cli.cjs.cache'), { force: true }); // the V8 code cache of the previous bundle
const size = fs.statSync(outfile).size;
console.error(`build: bundle ${Math.round(performance.now() - t)} ms, dist/cli.cjs ${(size / 1024).toFixed(0)} KiB, ${Object.keys(result.metafile.inputs).length} modules`);

// The library API (src/api.ts, `import ... from 'f2fsdbg'`): one ESM file; the pure-JS codecs are bundled in, the zstd
// compressor (WebAssembly) stays a dependency;
// its .d.ts files with --api (tsc declaration emit, ~8 s: npm pack runs it through prepack).
const api = path.join(root, 'dist/api.js');
step('api bundle', () =>
  esbuild.buildSync({ absWorkingDir: root, entryPoints: ['src/api.ts'], outfile: api, bundle: true, external: ['@bokuweb/zstd-wasm'], format: 'esm', platform: 'node', target: 'node20', keepNames: true, sourcemap: 'linked', sourcesContent: false, legalComments: 'none', logLevel: 'warning' }),
);
if (args.has('--api')) {
  fs.rmSync(path.join(root, 'dist/types'), { recursive: true, force: true });
  step('api declarations', () => run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.api.json')]));
}

if (args.has('--manifest')) {
  step('oclif manifest', () => run(process.execPath, [path.join(root, 'node_modules/oclif/bin/run.js'), 'manifest']));
} else {
  fs.rmSync(path.join(root, 'oclif.manifest.json'), { force: true }); // a stale manifest would hide new commands
}
console.error(`build: done in ${Math.round(performance.now() - t0)} ms`);
