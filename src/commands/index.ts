// The explicit command map (oclif "explicit" strategy): command id → class. Topic ids use ":" ("nat:dump" is typed `nat dump`).
// Add a command: import it here and add one entry. The bundle (dist/cli.cjs) re-exports this as COMMANDS.
import type { Command } from '@oclif/core';
import DumpSb from './dump-sb.js';
// Read-only inspection
import Info from './info.js';
import DumpCp from './dump-cp.js';
import DumpNat from './dump-nat.js';
import DumpSit from './dump-sit.js';
import DumpSsa from './dump-ssa.js';
import DumpNode from './dump-node.js';
import Block from './block.js';
import Ls from './ls.js';
import Stat from './stat.js';
import Cat from './cat.js';
import Readlink from './readlink.js';
import XattrList from './xattr-list.js';
import XattrGet from './xattr-get.js';
import Bmap from './bmap.js';
import Icheck from './icheck.js';
import Ncheck from './ncheck.js';
import Dump from './dump.js';
import Rdump from './rdump.js';
import Diff from './diff.js';
import Manifest from './manifest.js';
import History from './history.js';
import Lsdel from './lsdel.js';
import Undel from './undel.js';
import GetFlags from './get-flags.js';
import GetCblocks from './get-cblocks.js';
import CompressStatsCmd from './compress-stats.js';
import SetFlags from './set-flags.js';
import ReleaseCblocks from './release-cblocks.js';
import ReserveCblocks from './reserve-cblocks.js';

// Mutating commands, checkpoint and fsck
import Mkfs from './mkfs.js';
import Write from './write.js';
import Touch from './touch.js';
import Mkdir from './mkdir.js';
import Rm from './rm.js';
import Rmdir from './rmdir.js';
import Mv from './mv.js';
import Ln from './ln.js';
import Symlink from './symlink.js';
import Truncate from './truncate.js';
import Chmod from './chmod.js';
import VerityEnable from './verity-enable.js';
import Chown from './chown.js';
import SetPolicy from './set-policy.js';
import SetProject from './set-project.js';
import SetTimes from './set-times.js';
import XattrSet from './xattr-set.js';
import XattrRm from './xattr-rm.js';
import Mknod from './mknod.js';
import Import from './import.js';
import Checkpoint from './checkpoint.js';
import Gc from './gc.js';
import Resize from './resize.js';
import Defrag from './defrag.js';
import Fsck from './fsck.js';

// fsync, atomic writes and recovery
import Fsync from './fsync.js';
import AtomicBegin from './atomic-begin.js';
import AtomicCommit from './atomic-commit.js';
import AtomicAbort from './atomic-abort.js';
import AtomicStatus from './atomic-status.js';
import Recover from './recover.js';
import Log from './log.js';
import Orphans from './orphans.js';
import Quota from './quota.js';

// Fault injection (src/debugfs/inject.ts)
import SetSuper from './set-super.js';
import SetCp from './set-cp.js';
import SetNat from './set-nat.js';
import SetSit from './set-sit.js';
import SetSsa from './set-ssa.js';
import SetInode from './set-inode.js';
import SetNode from './set-node.js';
import SetDentry from './set-dentry.js';
import ZapBlock from './zap-block.js';
import Clri from './clri.js';
import Freei from './freei.js';
import Seti from './seti.js';
import Freeb from './freeb.js';
import Setb from './setb.js';
import Testb from './testb.js';

// Sessions and tools (src/cli/session.ts, src/cli/shell.ts)
import Run from './run.js';
import ShellCommand from './shell.js';
import CrashExplore from './crash-explore.js';
import Heatmap from './heatmap.js';
import Demo from './demo.js';

// Android images (src/device/sparse-device.ts, src/debugfs/android.ts)
import Sparse from './sparse.js';
import Unsparse from './unsparse.js';
import ExportAndroid from './export-android.js';

// Shell completion (bash, zsh) from @oclif/plugin-autocomplete: its commands are bundled and registered here like ours,
// not declared as an oclif plugin, which oclif would look up and load from node_modules at every start-up. Its
// package.json "exports" hides the command files (oclif loads plugins by path), hence the path into node_modules.
import Autocomplete from '../../node_modules/@oclif/plugin-autocomplete/lib/commands/autocomplete/index.js';
import AutocompleteScript from '../../node_modules/@oclif/plugin-autocomplete/lib/commands/autocomplete/script.js';

export const COMMANDS: Record<string, typeof Command> = {
  fsync: Fsync,
  'atomic-begin': AtomicBegin,
  'atomic-commit': AtomicCommit,
  'atomic-abort': AtomicAbort,
  'atomic-status': AtomicStatus,
  recover: Recover,
  log: Log,
  orphans: Orphans,
  quota: Quota,
  'dump-sb': DumpSb,
  info: Info,
  'dump-cp': DumpCp,
  'dump-nat': DumpNat,
  'dump-sit': DumpSit,
  'dump-ssa': DumpSsa,
  'dump-node': DumpNode,
  block: Block,
  ls: Ls,
  stat: Stat,
  cat: Cat,
  readlink: Readlink,
  'xattr-list': XattrList,
  'xattr-get': XattrGet,
  bmap: Bmap,
  icheck: Icheck,
  ncheck: Ncheck,
  dump: Dump,
  rdump: Rdump,
  diff: Diff,
  manifest: Manifest,
  history: History,
  lsdel: Lsdel,
  undel: Undel,
  'get-flags': GetFlags,
  'get-cblocks': GetCblocks,
  'compress-stats': CompressStatsCmd,
  mkfs: Mkfs,
  write: Write,
  touch: Touch,
  mkdir: Mkdir,
  rm: Rm,
  rmdir: Rmdir,
  mv: Mv,
  ln: Ln,
  symlink: Symlink,
  truncate: Truncate,
  chmod: Chmod,
  'verity-enable': VerityEnable,
  'set-flags': SetFlags,
  'release-cblocks': ReleaseCblocks,
  'reserve-cblocks': ReserveCblocks,
  chown: Chown,
  'set-policy': SetPolicy,
  'set-project': SetProject,
  'set-times': SetTimes,
  'xattr-set': XattrSet,
  'xattr-rm': XattrRm,
  mknod: Mknod,
  sparse: Sparse,
  unsparse: Unsparse,
  'export-android': ExportAndroid,
  import: Import,
  checkpoint: Checkpoint,
  gc: Gc,
  resize: Resize,
  defrag: Defrag,
  fsck: Fsck,
  'set-super': SetSuper,
  'set-cp': SetCp,
  'set-nat': SetNat,
  'set-sit': SetSit,
  'set-ssa': SetSsa,
  'set-inode': SetInode,
  'set-node': SetNode,
  'set-dentry': SetDentry,
  'zap-block': ZapBlock,
  'clri': Clri,
  'freei': Freei,
  'seti': Seti,
  'freeb': Freeb,
  'setb': Setb,
  'testb': Testb,
  run: Run,
  shell: ShellCommand,
  'crash-explore': CrashExplore,
  heatmap: Heatmap,
  demo: Demo,
  autocomplete: Autocomplete,
  'autocomplete:script': AutocompleteScript,
};
