// stat IMAGE FILESPEC: every field of an inode, decoded (FILESPEC is a path or <ino>; a symlink itself, not its target).

import type { InodeTime } from '../debugfs/time.js';
import { VolumeCommand, imageArg } from '../cli/base.js';
import { filespecArg } from '../cli/args.js';
import { kv, type Cell } from '../cli/render.js';
import { resolveFile } from '../debugfs/filespec.js';
import { statInode, type StatResult } from '../debugfs/inode.js';
import type { Volume } from '../fs/volume.js';

const ts = (t: InodeTime) => `${t.sec}.${String(t.nsec).padStart(9, '0')}  ${t.iso ?? '(outside the representable date range)'}`;

/** Printable xattr value: text when it is, else hex. */
export function xattrValueText(v: Buffer): string {
  const printable = v.length > 0 && v.every((b) => (b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x09);
  return v.length === 0 ? '""' : printable ? JSON.stringify(v.toString('latin1')) : `0x${v.toString('hex')}`;
}

/** The key/value rows of a stat result (shared with dump-node). */
export function statRows(s: StatResult): [string, Cell | Cell[]][] {
  const f = s.node.footer;
  const rows: [string, Cell | Cell[]][] = [
    ['ino', s.ino],
    ['type', s.type],
    ['mode', `${s.modeOctal}  ${s.modeString}`],
    ['uid / gid', `${s.uid} / ${s.gid}`],
    ['links', s.links],
    ['size', s.size],
    ['i_blocks', `${s.blocks} (st_blocks ${s.stBlocks})`],
    ['atime', ts(s.atime)],
    ['ctime', ts(s.ctime)],
    ['mtime', ts(s.mtime)],
  ];
  if (s.crtime) rows.push(['crtime', ts(s.crtime)]);
  rows.push(
    ['generation', s.generation],
    ['i_advise', `0x${s.advise.toString(16)}`],
    ['i_inline', `0x${s.inline.toString(16)}${s.inlineData ? '  inline data' : ''}${s.inlineDentry ? '  inline dentries' : ''}`],
    ['i_flags', `0x${s.flags.toString(16)}`],
    ['i_pino', s.pino],
    ['i_name', JSON.stringify(s.name)],
  );
  if (s.currentDepth !== null) rows.push(['i_current_depth', s.currentDepth]);
  if (s.gcFailures !== null) rows.push(['i_gc_failures', s.gcFailures]);
  rows.push(
    ['i_dir_level', s.dirLevel],
    ['i_ext', `fofs ${s.extent.fofs} blk ${s.extent.blk} len ${s.extent.len}`],
    ['i_extra_isize', s.extraIsize],
    ['inline xattr', `${s.inlineXattrSize} words`],
    ['addrs per inode', s.addrsPerInode],
  );
  if (s.projid !== null) rows.push(['i_projid', s.projid]);
  if (s.checksum) rows.push(['i_inode_checksum', `0x${s.checksum.value.toString(16).padStart(8, '0')} ${s.checksum.ok === null ? '' : s.checksum.ok ? '(ok)' : '(BAD)'}`.trimEnd()]);
  if (s.device) rows.push(['device', `${s.device.major}, ${s.device.minor}`]);
  if (s.symlink !== null) rows.push(['symlink', JSON.stringify(s.symlink)]);
  rows.push(
    ['i_xattr_nid', s.xattrNid],
    ['i_nid', s.nids.join(' ')],
    ['node', `nid ${s.node.nid} at blkaddr ${s.node.blkaddr}, footer ino ${f.ino} ofs ${f.ofs} cp_ver ${f.cp_ver}${f.cold ? ' cold' : ''}${f.fsync ? ' fsync' : ''}${f.dent ? ' dent' : ''} next_blkaddr ${f.next_blkaddr}`],
    ['xattrs', s.xattrs.length ? s.xattrs.map((x) => `${x.name}=${xattrValueText(x.value)}`).join('\n') : '(none)'],
  );
  return rows;
}

export default class Stat extends VolumeCommand<typeof Stat, StatResult> {
  static override summary = 'Show every field of an inode: type, mode, owner, size, times, flags, layout, xattrs.';
  static override description = 'FILESPEC is a path in the image or <ino>. A symlink is described itself (not followed).';
  static override examples = ['<%= config.bin %> stat disk.img /etc/passwd', '<%= config.bin %> stat disk.img "<3>" --json'];
  static override args = { image: imageArg(), filespec: filespecArg() };

  protected async execute(vol: Volume): Promise<StatResult> {
    return statInode(vol, resolveFile(vol, this.args.filespec, { follow: false }).info);
  }

  protected override render(r: StatResult): void {
    this.out(kv(statRows(r)));
  }
}
