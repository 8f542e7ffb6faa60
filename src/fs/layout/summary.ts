// Summary (SSA) block codec: 512 entries, the 507-byte journal (NAT, SIT or extra info) and the footer; compacted-summary geometry.
import { ENTRIES_IN_SUM, NAT_JOURNAL_ENTRIES, SIT_JOURNAL_ENTRIES, SUM_JOURNAL_SIZE } from './constants.js';
import { NatJournalEntry } from './nat.js';
import { SitJournalEntry } from './sit.js';
import { array, bytes, struct, type Of } from '../../util/struct.js';

export const SummaryEntry = struct('f2fs_summary', [
  ['nid', 'u32'],
  ['version', 'u8'],
  ['ofs_in_node', 'u16'],
]);
export type SummaryEntry = Of<typeof SummaryEntry>;

export const SummaryFooter = struct('summary_footer', [
  ['entry_type', 'u8'],
  ['check_sum', 'u32'],
]);

export const SUM_TYPE_DATA = 0;
export const SUM_TYPE_NODE = 1;

export const SummaryBlock = struct('f2fs_summary_block', [
  ['entries', array(SummaryEntry, ENTRIES_IN_SUM)],
  ['journal', bytes(SUM_JOURNAL_SIZE)],
  ['footer', SummaryFooter],
]);
export type SummaryBlock = Of<typeof SummaryBlock>;

/** NAT journal as stored in the HOT_DATA summary (and the compacted summary's first 507 bytes). */
export const NatJournal = struct('nat_journal', [
  ['n_nats', 'u16'],
  ['entries', array(NatJournalEntry, NAT_JOURNAL_ENTRIES)],
  ['reserved', bytes(11)],
]);
export type NatJournal = Of<typeof NatJournal>;

/** SIT journal as stored in the COLD_DATA summary. */
export const SitJournal = struct('sit_journal', [
  ['n_sits', 'u16'],
  ['entries', array(SitJournalEntry, SIT_JOURNAL_ENTRIES)],
  ['reserved', bytes(37)],
]);
export type SitJournal = Of<typeof SitJournal>;


/** Compacted data summaries (CP_COMPACT_SUM): NAT journal, SIT journal, then packed entries; entries never end past 4091. */
export const COMPACT_FIRST_ENTRY_OFFSET = 2 * SUM_JOURNAL_SIZE; // 1014
export const COMPACT_ENTRY_LIMIT = 4096 - 5; // SUM_FOOTER_SIZE: the last 5 bytes never hold entries
