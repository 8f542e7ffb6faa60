// SIT entry / block / journal-entry codecs and the vblocks field split.
import { SIT_ENTRY_PER_BLOCK } from './constants.js';
import { array, bytes, struct, type Of } from '../../util/struct.js';

export const SitEntry = struct('f2fs_sit_entry', [
  ['vblocks', 'u16'],
  ['valid_map', bytes(64)],
  ['mtime', 'u64n'],
]);
export type SitEntry = Of<typeof SitEntry>;

export const SitBlock = struct('f2fs_sit_block', [['entries', array(SitEntry, SIT_ENTRY_PER_BLOCK)]]);
export type SitBlock = Of<typeof SitBlock>;

export const SitJournalEntry = struct('sit_journal_entry', [
  ['segno', 'u32'],
  ['se', SitEntry],
]);
export type SitJournalEntry = Of<typeof SitJournalEntry>;

const SIT_VBLOCKS_SHIFT = 10;
const SIT_VBLOCKS_MASK = (1 << SIT_VBLOCKS_SHIFT) - 1;
export const sitValidBlocks = (vblocks: number) => vblocks & SIT_VBLOCKS_MASK;
export const sitType = (vblocks: number) => vblocks >> SIT_VBLOCKS_SHIFT;
export const sitVblocks = (type: number, valid: number) => (type << SIT_VBLOCKS_SHIFT) | valid;
