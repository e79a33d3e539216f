import {
  DELTA_EVENT_TYPES,
  runtimeEventType,
  type EventLog,
  type Logger,
  type NewEvent,
  type Statement,
} from '@codex-manager/core';
import { coalesceDeltas } from './delta-coalescer';

const DELTA_TYPES = new Set(DELTA_EVENT_TYPES);
const TURN_COMPLETED = runtimeEventType('turn/completed');

/**
 * Bookkeeping notifications nobody watches as they happen (the turn's start, which its starter
 * already has from turn/start; warnings; an item's start and end; thread status, token usage, rate
 * limits, read state). They may wait up to `holdMs` for the next batch instead of costing an
 * append, and a NOTIFY to every listener, of their own while the runtime is preparing its model
 * request. Everything else (deltas, the turn's end, errors, anything unknown) goes out within the
 * batch window, taking whatever waits with it, so the log order never changes.
 */
export const HELD_TYPES: ReadonlySet<string> = new Set(
  [
    'turn/started',
    'warning',
    'item/started',
    'item/completed',
    'item/reasoning/summaryPartAdded',
    'thread/status/changed',
    'thread/tokenUsage/updated',
    'thread/readState/changed',
    'account/rateLimits/updated',
  ].map(runtimeEventType),
);

/** The read-model writes a batch calls for, in order (`projector.ts`). */
export type Projector = (events: NewEvent[]) => Statement[];

/**
 * Appends runtime events in arrival order. Events arriving within `windowMs` of each other go in
 * one transaction (one INSERT + one NOTIFY, one round trip), together with the read-model updates
 * the projector derives from them, so read models never run ahead of or behind the log. `HELD_TYPES` may wait up
 * to `holdMs` (a turn's dozen notifications then take about four appends instead of ten). One flush
 * runs at a time.
 * A failed flush is retried with backoff; events are never reordered or dropped while the process lives.
 * With `coalesce`, consecutive text deltas of one item within a batch become one event
 * (`delta-coalescer.ts`): same text, same order, far fewer rows during a burst. A batch that
 * changes no read model (text deltas never do, nor do most item events) is one autocommit
 * statement; text-delta-only batches never reach the projector.
 */
export class EventAppender {
  #queue: NewEvent[] = [];
  #timer: { cancel: () => void } | null = null;
  /** When the pending timer fires (performance.now()); a sooner need moves it earlier, never later. */
  #due = 0;
  /** The item whose deltas came last: a delta of another item is the first of its stream. */
  #streaming: string | undefined;
  #flushing: Promise<void> | null = null;
  #idle: (() => void)[] = [];

  constructor(
    private readonly log: EventLog,
    private readonly project: Projector,
    private readonly windowMs: number,
    private readonly logger: Logger,
    private readonly opts: { maxBatch?: number; coalesce?: boolean; holdMs?: number } = {},
  ) {}

  private get maxBatch(): number {
    return this.opts.maxBatch ?? 500;
  }

  push(event: NewEvent): void {
    this.#queue.push(event);
    // What a person waits for goes out at once: the first delta of an item (the first words of a
    // reply, the first output of a command) and the end of the turn. The window batches the deltas
    // that follow a first one.
    const delta = DELTA_TYPES.has(event.type);
    const now = (delta && event.itemId !== this.#streaming) || event.type === TURN_COMPLETED;
    if (delta) this.#streaming = event.itemId;
    if (this.#flushing) return; // the running flush loops until the queue is empty
    if (now || this.#queue.length >= this.maxBatch) this.#kick(0);
    else this.#kick(HELD_TYPES.has(event.type) ? (this.opts.holdMs ?? 0) : this.windowMs);
  }

  /** Resolves once everything pushed so far is committed; nothing waits out its hold. */
  drain(): Promise<void> {
    if (this.#queue.length === 0 && !this.#flushing) return Promise.resolve();
    if (!this.#flushing) this.#kick(0);
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Flushes within `delay` ms: sooner than the pending timer moves it, later leaves it. */
  #kick(delay: number): void {
    const due = performance.now() + delay;
    if (this.#timer) {
      if (due >= this.#due) return;
      this.#timer.cancel();
    }
    this.#due = due;
    const fire = () => {
      this.#timer = null;
      this.#flushing = this.#flushLoop().finally(() => {
        this.#flushing = null;
        if (this.#queue.length > 0) this.#kick(0);
        else this.#idle.splice(0).forEach((r) => r());
      });
    };
    // 0: after the lines already read from the runtime's output (one chunk is one batch), not 1 ms.
    if (delay <= 0) {
      const t = setImmediate(fire);
      this.#timer = { cancel: () => clearImmediate(t) };
    } else {
      const t = setTimeout(fire, delay);
      this.#timer = { cancel: () => clearTimeout(t) };
    }
  }

  async #flushLoop(): Promise<void> {
    let backoff = 50;
    while (this.#queue.length > 0) {
      const batch = this.#queue.slice(0, this.maxBatch);
      const rows = this.opts.coalesce ? coalesceDeltas(batch) : batch;
      const writes = rows.every((e) => DELTA_TYPES.has(e.type)) ? [] : this.project(rows);
      // One round trip either way: without read-model writes the batch is one autocommit
      // statement; with them, the append and the writes go as one script (one transaction) instead
      // of BEGIN, INSERT, each write, COMMIT. That keeps the lag of a burst's last delta short when
      // the database is slow to answer, and a turn's start or end costs the database one wake-up.
      try {
        if (writes.length === 0) await this.log.append(rows);
        else await this.log.appendWith(rows, writes);
        this.#queue.splice(0, batch.length);
        backoff = 50;
      } catch (e) {
        this.logger.error(
          { err: (e as Error).message, pending: this.#queue.length },
          'event append failed; retrying',
        );
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }
}
