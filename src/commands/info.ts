// info IMAGE: volume summary — geometry and areas, the checkpoint in use, counts and the six logs (the fields of `fsck.f2fs -l`).

import { VolumeCommand } from '../cli/base.js';
import { humanSize, kv, table } from '../cli/render.js';
import { info, type InfoResult } from '../debugfs/info.js';
import type { Volume } from '../fs/volume.js';

export default class Info extends VolumeCommand<typeof Info, InfoResult> {
  static override summary = 'Summarise the volume: geometry, areas, checkpoint, counts and current segments.';
  static override description =
    'The superblock and checkpoint fields fsck.f2fs -l prints (same names in --json), which checkpoint pack is in use and why, and the six logs.';
  static override examples = ['<%= config.bin %> info disk.img', '<%= config.bin %> info disk.img --json'];

  protected async execute(vol: Volume): Promise<InfoResult> {
    return info(vol);
  }

  protected override render(r: InfoResult): void {
    const s = r.superblock;
    const c = r.checkpoint;
    const u = r.usage;
    this.out(
      kv([
        ['volume', `${JSON.stringify(s.volume_name)}  uuid ${s.uuid}`],
        ['version', `${s.major_ver}.${s.minor_ver} (superblock copy ${s.copy})`],
        ['features', s.features.join(' ') || '(none)'],
        ['size', `${humanSize(u.sizeBytes)}: ${s.block_count} blocks of 4 KiB, ${s.segment_count} segments`],
        ['main area', `${s.segment_count_main} segments, ${s.section_count} sections (${s.segs_per_sec} segment/section, ${s.secs_per_zone} section/zone)`],
        ['max nid', u.maxNid],
      ]),
    );
    this.out('');
    const seg = (n: number) => n * 512;
    this.out(
      table(
        ['area', 'blkaddr', 'segments', 'blocks'],
        [
          ['superblock', 0, '', 2],
          ['checkpoint', s.cp_blkaddr, s.segment_count_ckpt, seg(s.segment_count_ckpt)],
          ['SIT', s.sit_blkaddr, s.segment_count_sit, seg(s.segment_count_sit)],
          ['NAT', s.nat_blkaddr, s.segment_count_nat, seg(s.segment_count_nat)],
          ['SSA', s.ssa_blkaddr, s.segment_count_ssa, seg(s.segment_count_ssa)],
          ['main', s.main_blkaddr, s.segment_count_main, seg(s.segment_count_main)],
        ],
        { alignRight: [1, 2, 3] },
      ),
    );
    this.out('');
    const packs = c.packs.map((p) => `pack ${p.pack} @${p.blkaddr}: ${p.valid ? `valid, version ${p.checkpoint_ver}` : `invalid (${p.why})`}`);
    this.out(
      kv([
        ['checkpoint', `pack ${c.pack} (blkaddr ${c.blkaddr}), checkpoint_ver ${c.checkpoint_ver}`],
        ['packs', packs.join('\n')],
        ['ckpt_flags', `0x${c.ckpt_flags.toString(16)}  ${c.flags.join(' ') || '(none)'}`],
        ['user_block_count', c.user_block_count],
        ['valid_block_count', `${c.valid_block_count} (${humanSize(c.valid_block_count * 4096)} used, ${humanSize(u.freeBlocks * 4096)} free)`],
        ['valid_node_count', c.valid_node_count],
        ['valid_inode_count', c.valid_inode_count],
        ['free_segment_count', c.free_segment_count],
        ['rsvd_segment_count', c.rsvd_segment_count],
        ['overprov_segment_count', c.overprov_segment_count],
        ['next_free_nid', c.next_free_nid],
        ['elapsed_time', `${c.elapsed_time} s`],
        ['orphans', c.orphan_count],
        ['roll-forward', r.pendingRollForward ? `${r.pendingRollForward} fsynced nodes waiting: \`recover\` applies them as Linux's mount would` : 'none'],
      ]),
    );
    if (u.validBlocks !== c.valid_block_count || u.validNodes !== c.valid_node_count || u.validInodes !== c.valid_inode_count)
      this.out(`  (this session: ${u.validBlocks} blocks, ${u.validNodes} nodes, ${u.validInodes} inodes valid)`);
    this.out('');
    this.out(
      table(
        ['log', 'segno', 'blkoff', 'next blkaddr', 'alloc'],
        r.cursegs.map((l) => [l.type, l.segno, l.blkoff, l.blkaddr, l.alloc_type]),
        { alignRight: [1, 2, 3] },
      ),
    );
  }
}
