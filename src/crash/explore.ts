// Crash exploration: replays a recorded session's write stream cut at many points (and with unflushed writes dropped),
// recovers each cut as Linux would, and checks fsck, atomic all-or-nothing and fsync durability.
import { createHash } from 'node:crypto';
import { MemDevice, RecordingDevice, type RecordedOp } from '../device/index.js';
import { F2fsError, toF2fsError } from '../errors.js';
import { isReg } from '../fs/inode.js';
import { walkTree } from '../debugfs/reverse.js';
import { fsck } from '../fsck/fsck.js';
import { recover } from '../fs/recovery.js';
import { Volume } from '../fs/volume.js';

/** One session step: a command line and how to run it on the shared volume. */
export interface Step {
  line: string;
  /** What the step makes durable, when it completes: 'fsync'/'commit' of `path`, or a whole 'checkpoint'. */
  durability?: { kind: 'fsync' | 'commit' | 'checkpoint'; path?: string };
  run(vol: Volume): Promise<void> | void;
}

interface Snapshot {
  step: number;
  kind: 'fsync' | 'commit' | 'checkpoint';
  /** Log length when the step started and ended (ops [start, end) belong to it). */
  start: number;
  end: number;
  /** path → md5 of the content the step made durable ('absent' when the file does not exist). */
  files: Map<string, string>;
  /** For commits: the committed content before the step. */
  before?: string;
}

export interface CutResult {
  cut: number; // ops applied
  variant: string; // 'prefix' or 'drop write #n'
  recovered: number; // inodes replayed
  ok: boolean;
  violations: string[];
}

export interface ExploreReport {
  steps: number;
  ops: number;
  writes: number;
  flushes: number;
  cuts: CutResult[];
  violations: number;
  ms: number;
}

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

function contentOf(vol: Volume, path: string): string {
  try {
    const r = vol.resolve(path, { follow: true });
    const info = vol.inode(r.ino);
    return isReg(info.inode.i_mode) ? md5(vol.data.read(info, 0, info.inode.i_size)) : 'not-a-file';
  } catch (e) {
    if (e instanceof F2fsError && e.code === 'ENOENT') return 'absent';
    throw e;
  }
}

function allFiles(vol: Volume): Map<string, string> {
  const out = new Map<string, string>();
  walkTree(vol, (p, d) => {
    if (d.fileType === 1) out.set(p, contentOf(vol, p));
  });
  return out;
}

/** Runs the session once on a recording device and notes what each durability step promised. */
async function record(base: MemDevice, steps: Step[]) {
  const rec = new RecordingDevice(base.clone());
  const vol = Volume.open(rec, { readOnly: false });
  const snapshots: Snapshot[] = [];
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i];
    const d = s.durability;
    const start = rec.log.length;
    const version = vol.cp.head.checkpoint_ver;
    // Reads show the committed file, not the staged view: this is what a cut commit may fall back to.
    const before = d?.kind === 'commit' && d.path ? contentOf(vol, d.path) : undefined;
    await s.run(vol);
    // Any step that wrote a checkpoint (an fsync falling back to one included) promises the whole tree.
    const checkpointed = vol.cp.head.checkpoint_ver !== version;
    if (!d && !checkpointed) continue;
    const kind = checkpointed && d?.kind !== 'commit' ? 'checkpoint' : d!.kind;
    const files = checkpointed ? allFiles(vol) : new Map([[d!.path!, contentOf(vol, d!.path!)]]);
    snapshots.push({ step: i, kind, start, end: rec.log.length, files, before });
  }
  return { log: rec.log, snapshots };
}

/** Builds the image a power cut at `cut` leaves, optionally losing unflushed write `drop` (index into the log). */
function imageAt(base: MemDevice, log: RecordedOp[], cut: number, drop?: number): MemDevice {
  const dev = base.clone();
  for (let i = 0; i < cut; i++) {
    const op = log[i];
    if (op.op === 'write' && i !== drop) dev.writeBlock(op.blkaddr, op.data, op.tag);
  }
  dev.flush('cut');
  return dev;
}

/** The checks one recovered cut must pass. */
function check(vol: Volume, cut: number, snapshots: Snapshot[]): string[] {
  const out: string[] = [];
  const report = fsck(vol);
  for (const f of report.findings.filter((x) => x.severity === 'error').slice(0, 3)) out.push(`fsck: ${f.code}: ${f.message}`);
  const expected = new Map<string, { want: Set<string>; why: string }>();
  for (const s of snapshots) {
    const done = s.end <= cut;
    if (!done && s.start >= cut) break;
    const step = `step ${s.step + 1} (${s.kind})`;
    // A whole-tree promise also says which files no longer exist.
    const paths = s.kind === 'checkpoint' ? new Set([...expected.keys(), ...s.files.keys()]) : new Set(s.files.keys());
    for (const path of paths) {
      const md = s.files.get(path) ?? 'absent';
      const prev = expected.get(path);
      if (done) expected.set(path, { want: new Set([md]), why: `${step} completed` });
      else if (s.kind === 'fsync') expected.delete(path); // a torn fsync promises nothing yet
      else {
        // A cut commit is all or nothing; a cut checkpoint is the old state or the new one.
        const old = s.kind === 'commit' ? [s.before ?? 'absent'] : prev ? [...prev.want] : [];
        if (s.kind === 'checkpoint' && !prev) continue;
        expected.set(path, { want: new Set([md, ...old]), why: `${step} was cut: old or new state` });
      }
    }
  }
  for (const [path, { want, why }] of expected) {
    const got = contentOf(vol, path);
    if (!want.has(got)) out.push(`${path}: content ${got.slice(0, 8)} is none of ${[...want].map((w) => w.slice(0, 8)).join('/')} (${why})`);
  }
  return out;
}

export interface ExploreOptions {
  /** Upper bound on cut points examined (spread over the stream; flush boundaries first). */
  maxCuts?: number;
  /** Also lose each unflushed write of the window before a cut, one at a time (bounded per cut). */
  dropWrites?: number;
  /** After each cut point (all its variants checked), with the violating crash images so far. */
  progress?: (done: number, total: number, violations: number) => void;
}

function chooseCuts(log: RecordedOp[], max: number): number[] {
  const all = new Set<number>([0, log.length]);
  log.forEach((op, i) => {
    if (op.op === 'flush') {
      all.add(i);
      all.add(i + 1);
    }
  });
  const step = Math.max(1, Math.floor(log.length / max));
  for (let i = 0; i <= log.length; i += step) all.add(i);
  let cuts = [...all].filter((c) => c >= 0 && c <= log.length).sort((a, b) => a - b);
  if (cuts.length > max) {
    const stride = cuts.length / max;
    cuts = Array.from({ length: max }, (_, k) => cuts[Math.floor(k * stride)]);
    if (!cuts.includes(log.length)) cuts.push(log.length);
  }
  return cuts;
}

export async function explore(base: MemDevice, steps: Step[], opts: ExploreOptions = {}): Promise<ExploreReport> {
  const t0 = Date.now();
  const { log, snapshots } = await record(base, steps);
  const cuts = chooseCuts(log, opts.maxCuts ?? 200);
  const results: CutResult[] = [];
  let done = 0;
  let violations = 0;
  opts.progress?.(0, cuts.length, 0); // the total is known once the session is recorded
  for (const cut of cuts) {
    const variants: (number | undefined)[] = [undefined];
    let w = cut;
    while (w > 0 && log[w - 1].op === 'write') w--;
    for (let i = cut - 1; i >= w && variants.length <= (opts.dropWrites ?? 4); i--) variants.push(i);
    for (const drop of variants) {
      const r: CutResult = { cut, variant: drop === undefined ? 'prefix' : `drop write #${drop}`, recovered: 0, ok: true, violations: [] };
      try {
        const vol = Volume.open(imageAt(base, log, cut, drop), { readOnly: false });
        r.recovered = recover(vol).inodes.length;
        r.violations = check(vol, cut, snapshots);
      } catch (e) {
        r.violations = [toF2fsError(e).describe()];
      }
      r.ok = r.violations.length === 0;
      if (!r.ok) violations++;
      results.push(r);
    }
    opts.progress?.(++done, cuts.length, violations);
  }
  return {
    steps: steps.length,
    ops: log.length,
    writes: log.filter((o) => o.op === 'write').length,
    flushes: log.filter((o) => o.op === 'flush').length,
    cuts: results,
    violations,
    ms: Date.now() - t0,
  };
}
