// dump-node IMAGE NID: a node block found through the NAT, decoded by its kind (inode, direct, indirect, xattr node).

import { VolumeCommand, imageArg } from '../cli/base.js';
import { numberArg } from '../cli/args.js';
import { columns, kv } from '../cli/render.js';
import { dumpNode, type DumpNodeResult, type NodeDump } from '../debugfs/block.js';
import type { Volume } from '../fs/volume.js';
import { addrText, cpVerText, statRows, xattrValueText } from './stat.js';

/** Consecutive slots at consecutive addresses as one line: `slots 0..9 (bidx 0..9) -> 4628..4637`. */
export function addrRunLines(addrs: { slot: number; bidx: number | null; blkaddr: number }[]): string[][] {
  const runs: { slot: number; bidx: number | null; blkaddr: number; len: number }[] = [];
  for (const a of addrs) {
    const r = runs[runs.length - 1];
    const seq = a.blkaddr !== 0xffffffff && r && r.blkaddr !== 0xffffffff && r.blkaddr + r.len === a.blkaddr;
    if (r && r.slot + r.len === a.slot && (seq || (a.blkaddr === 0xffffffff && r.blkaddr === 0xffffffff))) r.len++;
    else runs.push({ ...a, len: 1 });
  }
  const span = (n: number | null, len: number) => (n === null ? '?' : len === 1 ? String(n) : `${n}..${n + len - 1}`);
  return runs.map((r) => [span(r.slot, r.len), span(r.bidx, r.len), r.blkaddr === 0xffffffff ? `NEW_ADDR x${r.len}` : span(r.blkaddr, r.len)]);
}

/** Lines describing a decoded node block (shared with `block`). */
export function nodeLines(n: NodeDump): string[] {
  const f = n.footer;
  const out = [
    kv([
      ['node', `nid ${n.nid}, ${n.kind} node at blkaddr ${addrText(n.blkaddr)}`],
      ['footer', `nid ${f.nid} ino ${f.ino} ofs ${f.ofs} ${cpVerText(f)} next_blkaddr ${f.next_blkaddr}${f.cold ? ' cold' : ''}${f.fsync ? ' fsync' : ''}${f.dent ? ' dent' : ''}`],
      ['NAT', n.nat ? `ino ${n.nat.ino} block_addr ${addrText(n.nat.block_addr)} version ${n.nat.version}` : '(none)'],
    ]),
  ];
  for (const p of n.problems) out.push(`problem: ${p}`);
  switch (n.kind) {
    case 'inode':
      if (n.inode) out.push(kv(statRows(n.inode), { indent: 2 }));
      if (n.inline) out.push(`inline ${n.inode?.inlineDentry ? 'dentries' : 'data'}: ${n.inline.bytes} bytes at node offset ${n.inline.offset}`);
      else if (n.addrs.length) out.push(`data blocks in the inode (${n.addrs.length}):`, columns(['slots', 'file blocks', 'blkaddr'], addrRunLines(n.addrs), { indent: 2 }));
      out.push(`i_nid: ${n.nids.length ? n.nids.map((x) => `[${x.slot}] ${x.nid}`).join('  ') : '(none)'}`);
      break;
    case 'direct':
      out.push(`direct node, first file block ${n.firstBidx ?? '?'}, ${n.addrs.length} addresses:`);
      if (n.addrs.length) out.push(columns(['slots', 'file blocks', 'blkaddr'], addrRunLines(n.addrs), { indent: 2 }));
      break;
    case 'indirect':
      out.push(`indirect node, ${n.nids.length} children:`);
      if (n.nids.length) out.push(columns(['slot', 'nid'], n.nids.map((x) => [x.slot, x.nid]), { alignRight: [0, 1], indent: 2 }));
      break;
    case 'xattr':
      out.push(`xattr node of inode ${n.owner}; the inode's xattrs:`);
      for (const x of n.xattrs ?? []) out.push(`  ${x.name}=${xattrValueText(x.value)}`);
      break;
  }
  return out;
}

export default class DumpNode extends VolumeCommand<typeof DumpNode, DumpNodeResult> {
  static override summary = 'Decode a node block by nid: inode fields, data addresses, child nids or xattrs, and its footer.';
  static override description = 'The NAT gives the block; a footer that disagrees with the NAT is reported, not fatal. NID is decimal or 0x hex.';
  static override examples = ['<%= config.bin %> dump-node disk.img 3', '<%= config.bin %> dump-node disk.img 0x1c --json'];
  static override args = { image: imageArg(), nid: numberArg({ description: 'node id', required: true }) };

  protected async execute(vol: Volume): Promise<DumpNodeResult> {
    return dumpNode(vol, this.args.nid);
  }

  protected override render(r: DumpNodeResult): void {
    if ('about' in r) {
      this.out(kv([['node', `nid ${r.nid}, ${r.about}`], ['NAT', `ino ${r.nat?.ino} block_addr ${r.nat?.block_addr} (reserved, not a block) version ${r.nat?.version}`]]));
      return;
    }
    if (r.unflushed) this.out('(unflushed: this session changed it, shown from memory)');
    for (const l of nodeLines(r)) this.out(l);
  }
}
