// dump-sb IMAGE: every superblock field, decoded (like dump.f2fs's superblock section), and which copy was used.

import { F2fsCommand, imageArg } from '../cli/base.js';
import { kv, numHex } from '../cli/render.js';
import { readSuperblock } from '../fs/super.js';
import { BLKSIZE, SUPER_OFFSET } from '../fs/layout/constants.js';
import { FS_ERRORS, STOP_REASONS, cString, extensionList, superblockDevices, featureNames, volumeName, type Superblock, SB_GEOMETRY_FIELDS, uuidString } from '../fs/layout/superblock.js';

/** The u32/u16/u8/u64n scalar fields, in on-disk order (all decode to number). */
const NUMERIC_FIELDS = SB_GEOMETRY_FIELDS;

type NumericField = (typeof NUMERIC_FIELDS)[number];

export interface DecodedSuperblock extends Record<NumericField, number> {
  uuid: string;
  volume_name: string;
  extension_count: number;
  /** Cold extensions (extension_count of them) then hot ones (hot_ext_count). */
  extension_list: string[];
  cp_payload: number;
  version: string;
  init_version: string;
  feature: number;
  features: string[];
  encryption_level: number;
  encrypt_pw_salt: string;
  /** Non-empty entries of devs[8] (multi-device volumes). */
  devs: { path: string; total_segments: number }[];
  qf_ino: number[];
  hot_ext_count: number;
  s_encoding: number;
  s_encoding_flags: number;
  /** Non-zero counters of s_stop_reason, by reason name. */
  s_stop_reason: Record<string, number>;
  /** Names of the bits set in s_errors. */
  s_errors: string[];
  crc: number;
}

export interface DumpSbResult {
  /** Superblock copy used (0: block 0, 1: block 1). */
  copy: 0 | 1;
  /** Byte offset of that copy in the image. */
  offset: number;
  /** Why the other copy (or this one) was not perfect. */
  problems: string[];
  superblock: DecodedSuperblock;
}

export function decodeSuperblock(sb: Superblock): DecodedSuperblock {
  const numeric = Object.fromEntries(NUMERIC_FIELDS.map((f) => [f, sb[f]])) as Record<NumericField, number>;
  const stop: Record<string, number> = {};
  sb.s_stop_reason.forEach((n, i) => {
    if (n) stop[STOP_REASONS[i] ?? `reason_${i}`] = n;
  });
  const errors: string[] = [];
  for (let bit = 0; bit < sb.s_errors.length * 8; bit++) {
    if (sb.s_errors[bit >> 3] & (1 << (bit & 7))) errors.push(FS_ERRORS[bit] ?? `error_${bit}`);
  }
  return {
    ...numeric,
    uuid: uuidString(sb.uuid),
    volume_name: volumeName(sb),
    extension_count: sb.extension_count,
    extension_list: extensionList(sb),
    cp_payload: sb.cp_payload,
    version: cString(sb.version),
    init_version: cString(sb.init_version),
    feature: sb.feature,
    features: featureNames(sb.feature),
    encryption_level: sb.encryption_level,
    encrypt_pw_salt: sb.encrypt_pw_salt.toString('hex'),
    devs: superblockDevices(sb.devs),
    qf_ino: sb.qf_ino,
    hot_ext_count: sb.hot_ext_count,
    s_encoding: sb.s_encoding,
    s_encoding_flags: sb.s_encoding_flags,
    s_stop_reason: stop,
    s_errors: errors,
    crc: sb.crc,
  };
}

// Reads the superblock straight from the device rather than through Volume.open, which also loads the
// checkpoint, NAT/SIT state and the root inode: dump-sb must work on images where those are damaged.
export default class DumpSb extends F2fsCommand<typeof DumpSb, DumpSbResult> {
  static override summary = 'Show every superblock field, decoded, and which copy was used.';
  static override description = 'Like the superblock section of dump.f2fs. --json gives the decoded object.';
  static override examples = ['<%= config.bin %> dump-sb disk.img', '<%= config.bin %> dump-sb disk.img --json'];
  static override args = { image: imageArg() };

  protected async invoke(): Promise<DumpSbResult> {
    const { sb, index, problems } = readSuperblock(this.openDevice({ write: false }));
    return { copy: index, offset: index * BLKSIZE + SUPER_OFFSET, problems, superblock: decodeSuperblock(sb) };
  }

  protected override render(r: DumpSbResult): void {
    const s = r.superblock;
    const rows: [string, string | number][] = [];
    for (const f of NUMERIC_FIELDS) rows.push([f, f === 'magic' ? `0x${s.magic.toString(16)}` : numHex(s[f])]);
    const cold = s.extension_list.slice(0, s.extension_count);
    const hot = s.extension_list.slice(s.extension_count);
    rows.push(
      ['uuid', s.uuid],
      ['volume_name', JSON.stringify(s.volume_name)],
      ['extension_count', s.extension_count],
      ['extension_list', cold.join(' ') || '(none)'],
      ['hot_ext_count', s.hot_ext_count],
      ['hot_extensions', hot.join(' ') || '(none)'],
      ['cp_payload', numHex(s.cp_payload)],
      ['version', s.version],
      ['init_version', s.init_version],
      ['feature', `${numHex(s.feature)}  ${s.features.join(' ') || '(none)'}`],
      ['encryption_level', s.encryption_level],
      ['encrypt_pw_salt', s.encrypt_pw_salt],
      ['devs', s.devs.map((d) => `${d.path} (${d.total_segments} segments)`).join('\n') || '(single device)'],
      ['qf_ino', s.qf_ino.join(' ')],
      ['s_encoding', numHex(s.s_encoding)],
      ['s_encoding_flags', numHex(s.s_encoding_flags)],
      ['s_stop_reason', Object.entries(s.s_stop_reason).map(([k, n]) => `${k}=${n}`).join(' ') || '(none)'],
      ['s_errors', s.s_errors.join(' ') || '(none)'],
      ['crc', `0x${s.crc.toString(16).padStart(8, '0')}`],
    );
    this.out(`Superblock copy ${r.copy} (byte ${r.offset})`);
    for (const p of r.problems) this.out(`  note: ${p}`);
    this.out(kv(rows));
  }
}
