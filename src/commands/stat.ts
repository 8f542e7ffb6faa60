// stat IMAGE FILESPEC: every field of an inode, decoded (FILESPEC is a path or <ino>; a symlink itself, not its target).

import { timeText, type InodeTime } from '../debugfs/time.js';
import { VolumeCommand, imageArg } from '../cli/base.js';
import { filespecArg } from '../cli/args.js';
import { kv, type Cell } from '../cli/render.js';
import { resolveFile } from '../debugfs/filespec.js';
import { statInode, type StatResult } from '../debugfs/inode.js';
import { specialAddrName } from '../fs/layout/constants.js';
import type { Volume } from '../fs/volume.js';

const ts = (t: InodeTime) => `${timeText(t)}  ${t.iso ?? '(outside the representable date range)'}`;

/** Printable xattr value: text when it is, else hex. */
export function xattrValueText(v: Buffer): string {
  const printable = v.length > 0 && v.every((b) => (b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x09);
  return v.length === 0 ? '""' : printable ? JSON.stringify(v.toString('latin1')) : `0x${v.toString('hex')}`;
}

/** A flags field: hex, then the kernel names of its bits. */
const flagsText = (v: number, names: string[]) => `0x${v.toString(16)}${names.length ? `  ${names.join(' ')}` : ''}`;

/** A block address, or the name of a special one (NEW_ADDR: reserved, not written yet). */
export const addrText = (a: number) => specialAddrName(a) ?? String(a);

/** A footer's cp_ver: with crc_recovery, the version and the checkpoint crc it also carries. */
export const cpVerText = (f: { cp_ver: string; cp_version: string; cp_crc: number | null }) =>
  f.cp_crc === null ? `cp_ver ${f.cp_ver}` : `cp_ver ${f.cp_version} (crc 0x${f.cp_crc.toString(16).padStart(8, '0')})`;

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
    ['i_advise', flagsText(s.advise, s.adviseNames)],
    ['i_inline', flagsText(s.inline, s.inlineNames)],
    ['i_flags', flagsText(s.flags, s.flagNames)],
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
  if (s.compression) {
    const c = s.compression;
    rows.push(
      ['compression', `${c.algorithmName}${c.level ? `:${c.level}` : ''}, clusters of ${c.clusterSize} blocks (i_log_cluster_size ${c.logClusterSize})${c.chksum ? ', checksummed' : ''}`],
      ['i_compr_blocks', `${c.comprBlocks} blocks saved${c.released ? ' (released: the file takes no writes until reserve-cblocks)' : ''}`],
    );
  }
  if (s.projid !== null) rows.push(['i_projid', s.projid]);
  if (s.checksum) rows.push(['i_inode_checksum', `0x${s.checksum.value.toString(16).padStart(8, '0')} ${s.checksum.ok === null ? '' : s.checksum.ok ? '(ok)' : '(BAD)'}`.trimEnd()]);
  if (s.device) rows.push(['device', `${s.device.major}, ${s.device.minor}`]);
  if (s.symlink !== null) rows.push(['symlink', JSON.stringify(s.symlink)]);
  if (s.encryption) {
    const e = s.encryption;
    rows.push(['encryption', `v${e.version} ${e.contentsMode} / ${e.filenamesMode}, flags 0x${e.flags.toString(16)} (padding ${e.padding})`]);
    rows.push([e.version === 2 ? 'master key id' : 'master key desc', `${e.masterKeyIdentifier ?? e.masterKeyDescriptor}${e.keyAvailable ? ' (key given)' : ' (no key)'}`]);
    rows.push(['nonce', e.nonce]);
  }
  if (s.verity) {
    const v = s.verity;
    rows.push(['verity', `${v.hashAlgorithm}, block ${v.blockSize}, salt ${v.salt || '(none)'}, tree at ${v.merkleTreePos}, descriptor ${v.descriptorSize} bytes at ${v.descriptorPos}${v.signatureSize ? `, signature ${v.signatureSize} bytes` : ''}`]);
    rows.push(['verity root', v.rootHash]);
    rows.push(['verity digest', v.digest]);
  }
  rows.push(
    ['i_xattr_nid', s.xattrNid],
    ['i_nid', s.nids.join(' ')],
    ['node', `nid ${s.node.nid} at blkaddr ${addrText(s.node.blkaddr)}, footer ino ${f.ino} ofs ${f.ofs} ${cpVerText(f)}${f.cold ? ' cold' : ''}${f.fsync ? ' fsync' : ''}${f.dent ? ' dent' : ''} next_blkaddr ${f.next_blkaddr}`],
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
