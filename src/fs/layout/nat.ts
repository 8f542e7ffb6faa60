// NAT entry / block / journal-entry codecs.
import { NAT_ENTRY_PER_BLOCK } from './constants.js';
import { array, struct, type Of } from '../../util/struct.js';

export const NatEntry = struct('f2fs_nat_entry', [
  ['version', 'u8'],
  ['ino', 'u32'],
  ['block_addr', 'u32'],
]);
export type NatEntry = Of<typeof NatEntry>;

export const NatBlock = struct('f2fs_nat_block', [['entries', array(NatEntry, NAT_ENTRY_PER_BLOCK)]]);
export type NatBlock = Of<typeof NatBlock>;

export const NatJournalEntry = struct('nat_journal_entry', [
  ['nid', 'u32'],
  ['ne', NatEntry],
]);
export type NatJournalEntry = Of<typeof NatJournalEntry>;
