#!/usr/bin/env node
// f2fsdbg: loads the esbuild bundle dist/cli.cjs (oclif + every command, one file) and runs it.
// The bundle is compiled through vm.Script with a V8 code cache kept next to it (dist/cli.cjs.cache),
// written after a run whenever it is missing or was rejected; F2FSDBG_NO_CODE_CACHE=1 loads it with plain require().
import fs from 'node:fs';
import Module, { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const target = './dist/cli.cjs';
const file = path.join(root, target);
const cacheFile = `${file}.cache`;
const require = createRequire(import.meta.url);

/** Header tying a cache to one bundle build; V8 itself only checks the source length and its flags. */
function cacheKey(st) {
  return Buffer.from(`f2fsdbg-code-cache 1 ${st.size} ${st.mtimeMs}\n`);
}

function loadWithCodeCache() {
  const source = fs.readFileSync(file, 'utf8');
  const key = cacheKey(fs.statSync(file));
  let cachedData;
  try {
    const buf = fs.readFileSync(cacheFile);
    if (buf.subarray(0, key.length).equals(key)) cachedData = buf.subarray(key.length);
  } catch {
    // no cache yet
  }
  const script = new vm.Script(Module.wrap(source), {
    filename: file,
    cachedData,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  // A real CommonJS module, registered in require's cache so that oclif's require(target) gets this instance.
  const mod = new Module(file, null);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(path.dirname(file));
  Module._cache[file] = mod;
  script.runInThisContext()(mod.exports, createRequire(file), mod, file, path.dirname(file));
  mod.loaded = true;
  if (cachedData === undefined || script.cachedDataRejected) {
    // After the run, so the functions compiled while running are in the cache too.
    process.once('beforeExit', () => {
      try {
        const tmp = `${cacheFile}.${process.pid}`;
        fs.writeFileSync(tmp, Buffer.concat([key, script.createCachedData()]));
        fs.renameSync(tmp, cacheFile);
      } catch {
        // read-only install: run without a cache
      }
    });
  }
  return mod.exports;
}

// oclif checks the Node version with semver at load time (~3 ms); package.json's engines field covers it.
process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1';

let cli;
try {
  cli = process.env.F2FSDBG_NO_CODE_CACHE === '1' ? require(file) : loadWithCodeCache();
} catch (e) {
  if (e?.code === 'ENOENT' || e?.code === 'MODULE_NOT_FOUND') {
    process.stderr.write(`f2fsdbg: ${target} is missing: run \`npm run build\` first (or use bin/dev.js)\n`);
    process.exit(70);
  }
  throw e;
}
// importModule: import() from this real module, for the bundle's lazily loaded ESM packages (src/cli/lazy.ts).
await cli.run(process.argv.slice(2), { root, target, importModule: (specifier) => import(specifier) });
