// A one-line progress display for long commands on a terminal.

/**
 * `label  42% (420/1000)  detail` on one terminal line, redrawn at most 10 times a second (and always for the last
 * step). Deliberately tiny: no dependency, no timers, nothing left on screen after `end()`.
 */
export class ProgressLine {
  private last = 0;
  private shown = false;

  constructor(
    private readonly label: string,
    private readonly stream: { write(s: string): unknown; columns?: number },
  ) {}

  /** `total` unknown: shows the count only. */
  update(done: number, total?: number, detail = ''): void {
    const now = Date.now();
    const final = total !== undefined && done >= total;
    if (!final && now - this.last < 100) return;
    this.last = now;
    const pct = total ? `  ${Math.min(100, Math.floor((done * 100) / total))}% (${done}/${total})` : `  ${done}`;
    const head = `${this.label}${pct}`;
    const room = Math.max(0, (this.stream.columns || 80) - 1 - head.length - 2);
    const tail = !detail || room < 8 ? '' : `  ${detail.length > room ? `…${detail.slice(detail.length - room + 1)}` : detail}`;
    this.stream.write(`\r\x1b[K${head}${tail}`);
    this.shown = true;
  }

  end(): void {
    if (this.shown) this.stream.write('\r\x1b[K');
    this.shown = false;
  }
}
