// The explicit command map (oclif "explicit" strategy): command id → class. Topic ids use ":" ("nat:dump" is typed `nat dump`).
// Add a command: import it here and add one entry. The bundle (dist/cli.cjs) re-exports this as COMMANDS.
import type { Command } from '@oclif/core';
import DumpSb from './dump-sb.js';

export const COMMANDS: Record<string, typeof Command> = {
  'dump-sb': DumpSb,
};
