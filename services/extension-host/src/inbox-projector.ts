import { WokenLoop } from './woken-loop';
import {
  CursorExpiredError,
  EVENTS_CHANNEL,
  EventLog,
  INBOX_CAUSE_TYPES,
  addUnservedToolCalls,
  applyInboxCause,
  withTransaction,
  type Logger,
  type Notifier,
  type Pool,
} from '@codex-manager/core';

const BATCH = 1000;
/** A missed NOTIFY still catches up within this; it is also how often unserved tool calls are looked for. */
const SAFETY_POLL_MS = 2000;

/**
 * Maintains the inbox from the event log. Each batch is applied in one transaction together with
 * the cursor (`inbox_cursor`, locked FOR UPDATE), so every cause is applied exactly once even with
 * several extension-hosts or a crash between two batches; `inbox.*` events commit with it.
 */
export class InboxProjector {
  readonly #loop: WokenLoop;

  constructor(
    private readonly pool: Pool,
    notifier: Notifier,
    private readonly opts: { longTurnMs: number; toolCallGraceMs: number; log: Logger },
  ) {
    this.#loop = new WokenLoop({
      notifier,
      channel: EVENTS_CHANNEL,
      pollMs: SAFETY_POLL_MS,
      work: () => this.#run(),
      onError: (e) => opts.log.error({ err: e.message }, 'inbox projection failed; retrying'),
    });
  }

  start(): Promise<void> {
    return this.#loop.start();
  }

  stop(): Promise<void> {
    return this.#loop.stop();
  }

  #lastSweep = 0;

  async #run(): Promise<void> {
    while (this.#loop.active && (await this.#batch()) === BATCH);
    // Unserved tool calls are found by age, not by an event: look at most once a second.
    if (this.#loop.active && Date.now() - this.#lastSweep >= 1000) {
      this.#lastSweep = Date.now();
      await withTransaction(this.pool, (tx) => addUnservedToolCalls(tx, this.#causeOptions));
    }
  }

  get #causeOptions() {
    return {
      longTurnMs: this.opts.longTurnMs,
      toolCallGraceMs: this.opts.toolCallGraceMs,
      source: 'extension-host',
    };
  }

  /** One batch after the cursor; returns how many events it read. */
  async #batch(): Promise<number> {
    return withTransaction(this.pool, async (tx) => {
      const { rows } = await tx.query<{ seq: string }>('SELECT seq FROM inbox_cursor FOR UPDATE');
      const cursor = Number(rows[0]?.seq ?? 0);
      let read;
      try {
        read = await new EventLog(tx).read(cursor, { limit: BATCH });
      } catch (e) {
        if (!(e instanceof CursorExpiredError)) throw e;
        // Only deltas are compacted, and they never change the inbox: skip to the retained log.
        this.opts.log.warn({ cursor, compactedBelow: e.compactedBelow }, 'inbox cursor behind retention');
        await tx.query('UPDATE inbox_cursor SET seq = $1', [e.compactedBelow]);
        return BATCH;
      }
      for (const event of read.events) {
        if (INBOX_CAUSE_TYPES.has(event.type)) await applyInboxCause(tx, event, this.#causeOptions);
      }
      if (read.lastSeq !== cursor) await tx.query('UPDATE inbox_cursor SET seq = $1', [read.lastSeq]);
      return read.events.length;
    });
  }
}
