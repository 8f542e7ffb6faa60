#!/usr/bin/env node
// Development entry: runs the CLI straight from the TypeScript sources through tsx (no build step).
// Slower to start than bin/run.js (tsx compiles every module on each run); use it while editing.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// oclif imports this same URL to read COMMANDS, so it gets the module instance loaded here.
const target = './src/cli/entry.ts';
const cli = await import(pathToFileURL(path.join(root, target)).href);
await cli.run(process.argv.slice(2), { root, target });
