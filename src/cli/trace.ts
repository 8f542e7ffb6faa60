// Rendering of a command's device activity: the --io-stats counters line and the --trace-io write pattern.
import type { IoStats } from '../device/index.js';
import type { TraceEvent } from '../device/types.js';

export function formatIo(io: IoStats): string {
  return `io: blocks read ${io.blocksRead}, blocks written ${io.blocksWritten}, flushes ${io.flushes}, cache hits ${io.cacheHits}`;
}

const TRACE_TAGS: Record<string, string> = {
  data: 'D',
  'data-ipu': 'Dipu',
  node: 'N',
  'node-fsync': 'Nf',
  ssa: 'SSA',
  nat: 'NAT',
  sit: 'SIT',
  cp: 'CP',
  'cp-tail': 'CPt',
  sum: 'SUM',
  orphan: 'ORPH',
  'gc-data': 'Dgc',
  'gc-node': 'Ngc',
};

/**
 * A trace as one line: writes by kind in order (D data, Dipu data rewritten in place, N node, Nf node with fsync mark, Dgc/Ngc a block GC moved, SSA, NAT, SIT, CP, CPt the
 * checkpoint's last block, SUM, ORPH), a run of 3 or more shown as `D×12`; each flush as `| FLUSH(tag) |`.
 */
export function formatTrace(events: TraceEvent[]): string {
  if (events.length === 0) return '(no I/O)';
  const parts: string[] = [];
  let run = '';
  let n = 0;
  const end = () => {
    if (n >= 3) parts.push(`${run}×${n}`);
    else for (let i = 0; i < n; i++) parts.push(run);
    n = 0;
  };
  for (const e of events) {
    if (e.op === 'flush') {
      end();
      parts.push(`| FLUSH(${e.tag}) |`);
      continue;
    }
    const t = TRACE_TAGS[e.tag] ?? e.tag;
    if (t !== run) end();
    run = t;
    n++;
  }
  end();
  return parts.join(' ').replace(/\| \|/g, '|').replace(/^\| /, '').replace(/ \|$/, '');
}
