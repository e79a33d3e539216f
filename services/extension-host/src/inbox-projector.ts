import { SETTLE_MS, WokenLoop, announcesRequest, noticeHead } from './woken-loop';
import {
  CursorExpiredError,
  EVENTS_CHANNEL,
  EventLog,
  INBOX_CAUSE_TYPES,
  addUnservedToolCalls,
  applyInboxCause,
  mayChangeInbox,
  noticeSkips,
  withTransaction,
  type Logger,
  type Notifier,
  type Pool,
} from '@codex-manager/core';

const BATCH = 1000;
/** The projector is sent only the events that can change the inbox. */
const CAUSES = { typePrefixes: [...INBOX_CAUSE_TYPES] };
/** A missed NOTIFY still catches up within this; it is also how often unserved tool calls are looked for. */
const SAFETY_POLL_MS = 2000;
/** How long the durable cursor may trail the projector over events that hold no cause. */
const LAZY_CURSOR_MS = 500;

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
      absorb: (payload) => this.#absorb(payload),
      settleMs: SETTLE_MS,
      urgent: announcesRequest,
    });
  }

  async start(): Promise<void> {
    const { rows } = await this.pool.query<{ seq: string }>('SELECT seq FROM inbox_cursor');
    this.#seen = Number(rows[0]?.seq ?? 0);
    await this.#loop.start();
  }

  async stop(): Promise<void> {
    await this.#loop.stop();
    await this.#writeCursor();
  }

  #lastSweep = 0;
  /** How far this projector has looked; the durable cursor may be behind it (LAZY_CURSOR_MS). */
  #seen = 0;
  #cursorTimer: NodeJS.Timeout | null = null;

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

  /**
   * One batch after the cursor; returns how many events it read. Most batches hold nothing that
   * could change the inbox (item events, turns that went well: `mayChangeInbox`): they are read
   * without a transaction and only move `#seen`, written to the durable cursor later. A batch with
   * a cause is applied in a transaction from the locked durable cursor, which is never ahead of a
   * cause not yet applied, so nothing is skipped or applied twice.
   */
  async #batch(): Promise<number> {
    const from = this.#seen;
    const peek = await new EventLog(this.pool)
      .read(from, { limit: BATCH, filter: CAUSES })
      .catch((e: unknown) => {
        if (e instanceof CursorExpiredError) return null;
        throw e;
      });
    if (peek && !peek.events.some((e) => mayChangeInbox(e, this.opts))) {
      if (peek.lastSeq > this.#seen) {
        this.#seen = peek.lastSeq;
        this.#writeCursorLater();
      }
      return peek.events.length;
    }
    return withTransaction(this.pool, async (tx) => {
      const { rows } = await tx.query<{ seq: string }>('SELECT seq FROM inbox_cursor FOR UPDATE');
      const cursor = Number(rows[0]?.seq ?? 0);
      let read;
      try {
        // Between the durable cursor and `from` lie only events that change nothing, so when the
        // cursor is not past `from` (another host may have moved it) the peek is what a read from
        // the cursor would return.
        read =
          peek && cursor <= from
            ? peek
            : await new EventLog(tx).read(cursor, { limit: BATCH, filter: CAUSES });
      } catch (e) {
        if (!(e instanceof CursorExpiredError)) throw e;
        // Only deltas are compacted, and they never change the inbox: skip to the retained log.
        this.opts.log.warn({ cursor, compactedBelow: e.compactedBelow }, 'inbox cursor behind retention');
        await tx.query('UPDATE inbox_cursor SET seq = $1', [e.compactedBelow]);
        this.#seen = Math.max(this.#seen, e.compactedBelow);
        return BATCH;
      }
      for (const event of read.events) {
        if (INBOX_CAUSE_TYPES.has(event.type)) await applyInboxCause(tx, event, this.#causeOptions);
      }
      if (read.lastSeq !== cursor) await tx.query('UPDATE inbox_cursor SET seq = $1', [read.lastSeq]);
      this.#seen = Math.max(this.#seen, read.lastSeq);
      return read.events.length;
    });
  }

  /** A NOTIFY whose range follows `#seen` and holds no cause moves it without a read. */
  #absorb(payload: string): boolean {
    const notice = noticeHead(payload);
    if (!notice || !noticeSkips(notice, this.#seen, CAUSES.typePrefixes)) return false;
    if (notice.last > this.#seen) {
      this.#seen = notice.last;
      this.#writeCursorLater();
    }
    return true;
  }

  #writeCursorLater(): void {
    if (this.#cursorTimer) return;
    this.#cursorTimer = setTimeout(() => void this.#writeCursor(), LAZY_CURSOR_MS);
    this.#cursorTimer.unref();
  }

  /** Moves the durable cursor up to `#seen`: only events that change nothing lie between the two. */
  async #writeCursor(): Promise<void> {
    if (this.#cursorTimer) clearTimeout(this.#cursorTimer);
    this.#cursorTimer = null;
    await this.pool
      .query('UPDATE inbox_cursor SET seq = $1 WHERE seq < $1', [this.#seen])
      .catch((e: Error) => {
        this.opts.log.warn({ err: e.message }, 'could not write the inbox cursor; retrying');
        this.#writeCursorLater();
      });
  }
}
