export interface HandlerStat {
  calls: number;
  failures: number;
  timeouts: number;
  totalMs: number;
  lastMs: number;
  lastAt: string | null;
}

export interface ErrorRecord {
  at: string;
  /** `error`, `timeout`, or `warning` (an undeclared capability used under trust mode `warn`). */
  kind: 'error' | 'timeout' | 'warning';
  handler: string | null;
  eventSeq: number | null;
  eventType: string | null;
  code: string;
  message: string;
}

const LAST_ERRORS = 10;

/** Per-extension handler statistics and its last errors, kept across reloads, flushed to the inventory. */
export class ExtensionStats {
  handlers: Record<string, HandlerStat> = {};
  lastErrors: ErrorRecord[] = [];
  dirty = true;

  record(handler: string, ms: number, outcome: 'ok' | 'error' | 'timeout'): void {
    const s = (this.handlers[handler] ??= {
      calls: 0,
      failures: 0,
      timeouts: 0,
      totalMs: 0,
      lastMs: 0,
      lastAt: null,
    });
    s.calls++;
    if (outcome === 'error') s.failures++;
    if (outcome === 'timeout') s.timeouts++;
    s.totalMs = Math.round((s.totalMs + ms) * 100) / 100;
    s.lastMs = Math.round(ms * 100) / 100;
    s.lastAt = new Date().toISOString();
    this.dirty = true;
  }

  error(e: Omit<ErrorRecord, 'at'>): void {
    this.lastErrors = [{ at: new Date().toISOString(), ...e }, ...this.lastErrors].slice(0, LAST_ERRORS);
    this.dirty = true;
  }
}
