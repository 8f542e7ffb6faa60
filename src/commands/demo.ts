// demo [IMAGE]: a narrated session on a fresh 64 MiB image: mkfs, import, an atomic write cut by a power loss, recovery.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { Args, Flags } from '@oclif/core';
import { F2fsCommand, globalFlags, type CmdArgs, type CmdFlags } from '../cli/base.js';
import { Session } from '../cli/session.js';
import { F2fsError } from '../errors.js';

export interface DemoResult {
  image: string;
  steps: number;
}

/** [narration, line]: each line runs through the same command classes as the CLI (mkfs with its own IMAGE). */
const SCRIPT: [string, string][] = [
  ['Import a small tree of generated files (metadata stays in memory: no checkpoint yet).', 'import HOST/tree /demo'],
  ['Make it durable: a checkpoint, as an unmount would write.', 'checkpoint --trace-io'],
  ['List what we imported: config.json is version 1, 15 bytes.', 'ls -l /demo'],
  ['All or nothing, first half: start an atomic write (F2FS_IOC_START_ATOMIC_WRITE); writes go to a staged COW copy.', 'atomic-begin /demo/config.json'],
  ['Write version 2 (4 blocks) into it: staged, in memory, the file itself unchanged.', 'write /demo/config.json --truncate --from HOST/config.v2.json'],
  ['Power cut BEFORE the commit: everything not on disk is lost, the image reopens at its last checkpoint.', 'crash'],
  ['Mount-time recovery finds no fsynced nodes past the checkpoint: nothing to replay.', 'recover'],
  ['Nothing of the uncommitted write survived: the old content, whole.', 'cat /demo/config.json'],
  ['Second half: the same atomic write again.', 'atomic-begin /demo/config.json'],
  ['Version 2 into the staged copy.', 'write /demo/config.json --truncate --from HOST/config.v2.json'],
  ['Commit (F2FS_IOC_COMMIT_ATOMIC_WRITE): the data blocks, a flush, then the dnode with the FSYNC mark written with FUA. No checkpoint follows.', 'atomic-commit /demo/config.json --trace-io'],
  ['Power cut AFTER the commit: again the image reopens at its last checkpoint, which knows nothing of version 2.', 'crash'],
  ['The warm-node log past the checkpoint: the committed dnode carries the FSYNC mark.', 'log'],
  ['Mount-time recovery: roll-forward replays the committed file, then writes a checkpoint.', 'recover --trace-io'],
  ['The atomic write survived the power cut, all of it: version 2, 4 blocks (md5 MD5).', 'cat /demo/config.json --json'],
  ['Segment information table: valid blocks and type of the segments in use.', 'dump-sit --brief'],
  ['A map of the main area: one cell per segment.', 'heatmap'],
];

/** The --trace-io symbols, explained the first time one shows up (src/cli/trace.ts writes them). */
const TRACE_SYMBOLS: [RegExp, string, string][] = [
  [/(^|\s)D(×|\s|$)/, 'D', 'a data block written (D×265: 265 of them in a row)'],
  [/(^|\s)N(×|\s|$)/, 'N', 'a node block (inode, direct or indirect node) written to a node log'],
  [/(^|\s)Nf(×|\s|$)/, 'Nf', "a node block with the FSYNC mark: what roll-forward recovery looks for after the checkpoint"],
  [/FLUSH\(preflush\)/, 'FLUSH(preflush)', 'a cache flush before the next write: everything written so far is durable first'],
  [/FLUSH\(fua\)/, 'FLUSH(fua)', 'the write before it is made durable at once (forced unit access)'],
  [/FLUSH\(fsync\)/, 'FLUSH(fsync)', 'the flush that ends an fsync'],
  [/FLUSH\(cp-barrier\)/, 'FLUSH(cp-barrier)', "a flush before the checkpoint's last block: all it refers to is durable first"],
  [/FLUSH\(cp-commit\)/, 'FLUSH(cp-commit)', 'the flush after the last block: from here on the new checkpoint is the one a mount uses'],
  [/(^|\s)(SSA|NAT|SIT|SUM|ORPH)(×|\s|$)/, 'SSA NAT SIT SUM ORPH', 'metadata a checkpoint writes: segment summaries, node address and segment info tables, log summaries, orphans'],
  [/(^|\s)CP(×|\s|$)/, 'CP', 'a checkpoint pack block: the head written first, its copy (CPt) last, behind a flush: then the checkpoint counts'],
];

export default class Demo extends F2fsCommand<typeof Demo, DemoResult> {
  static override summary = 'A narrated tour: an atomic write cut by a power loss before its commit (old content kept) and after it (new content recovered).';
  static override description =
    'Creates IMAGE (default ./f2fsdbg-demo.img, 64 MiB), imports a few files, then plays both halves of all-or-nothing through the ordinary commands: ' +
    'an atomic write of 4 blocks cut by a power loss before atomic-commit (recovery keeps the old content) and after it (roll-forward recovery gives the new content), ' +
    'with the block I/O of the commit and of the recovery traced and each trace symbol explained the first time it appears; then the SIT and a heatmap. An existing IMAGE is replaced only with --force.';
  static override examples = ['<%= config.bin %> demo', '<%= config.bin %> demo /tmp/demo.img --force'];
  static override args = { image: Args.string({ description: 'image to create', default: 'f2fsdbg-demo.img' }) };
  static override flags = { force: Flags.boolean({ char: 'f', description: 'Replace an existing IMAGE.' }) };
  static override baseFlags = globalFlags;

  protected async invoke(args: CmdArgs<typeof Demo>, flags: CmdFlags<typeof Demo>): Promise<DemoResult> {
    const image = args.image;
    if (fs.existsSync(image) && !flags.force) throw new F2fsError('EEXIST', `${image} exists: pass --force to replace it`);
    fs.rmSync(image, { force: true });
    const host = fs.mkdtempSync(path.join(os.tmpdir(), 'f2fsdbg-demo-'));
    try {
      const tree = path.join(host, 'tree');
      fs.mkdirSync(tree);
      fs.writeFileSync(path.join(tree, 'config.json'), '{"version": 1}\n');
      // Version 2 spans 4 blocks, so the commit writes several data blocks before its FSYNC node.
      const v2 = Buffer.from(`{"version": 2, "pad": "${'x'.repeat(4 * 4096 - 30)}"}\n`);
      const v2md5 = createHash('md5').update(v2).digest('hex');
      fs.writeFileSync(path.join(tree, 'README'), 'files generated by f2fsdbg demo\n');
      fs.mkdirSync(path.join(tree, 'logs'));
      for (let i = 0; i < 5; i++) fs.writeFileSync(path.join(tree, 'logs', `app.${i}.log`), `${'log line\n'.repeat(200 * (i + 1))}`);
      fs.writeFileSync(path.join(tree, 'big.bin'), Buffer.alloc(1 << 20, 0x5a));
      fs.writeFileSync(path.join(host, 'config.v2.json'), v2);
      const explained = new Set<string>();
      const stderr = this.ctx?.stderr ?? ((l: string) => void process.stderr.write(`${l}\n`));
      const traces: string[] = [];
      const session = new Session({
        config: this.config,
        readOnly: false,
        quiet: true,
        stdout: this.ctx?.stdout,
        stderr: (l) => {
          if (l.startsWith('trace: ')) traces.push(l.slice(7));
          stderr(l);
        },
      });
      const explain = () => {
        for (const t of traces.splice(0))
          for (const [re, sym, text] of TRACE_SYMBOLS) {
            if (explained.has(sym) || !re.test(t)) continue;
            explained.add(sym);
            this.out(`   ${sym}: ${text}`);
          }
      };
      const say = (n: number, text: string, line: string) => {
        this.out('');
        this.out(`# ${n}. ${text}`);
        this.out(`f2fsdbg> ${line}`);
      };
      say(1, `Format a 64 MiB image (${image}).`, `mkfs ${image} --size 64M`);
      const mk = await session.exec(`mkfs '${image}' --size 64M --force`);
      if (mk) throw new F2fsError('EINVAL', 'demo: mkfs failed');
      await session.open(image);
      let n = 1;
      for (const [text, line] of SCRIPT) {
        const real = line.replace('HOST', `'${host}'`);
        say(++n, text.replace('MD5', v2md5), line.replace('HOST', '<generated files>'));
        const status = await session.exec(real);
        if (status) throw new F2fsError('EINVAL', `demo: '${line}' failed (status ${status})`);
        explain();
      }
      session.close(true);
      this.out('');
      this.out(`Done. Explore further: ${this.config.bin} shell ${image} -w`);
      return { image, steps: n };
    } finally {
      fs.rmSync(host, { recursive: true, force: true });
    }
  }

  protected override render(): void {}
}
