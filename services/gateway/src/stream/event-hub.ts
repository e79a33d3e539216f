import {
  AppError,
  CursorExpiredError,
  ErrorCode,
  EVENTS_CHANNEL,
  eventSpan,
  matchesFilter,
  parseEventNotice,
  type EventEnvelope,
  type EventFilter,
  type EventLog,
  type Logger,
  type Notifier,
} from '@codex-manager/core';

/** Why the hub ends a subscription; each transport renders it as its `error` frame. */
export interface StreamEnd {
  code: 'slow_consumer' | 'server_shutdown' | 'internal_error' | 'cursor_expired';
  /** Resume from here: every matching event up to it was handed to the subscriber. */
  resumeFrom: number;
  /** For `cursor_expired`: the compaction mark and the head to resume from after re-reading state. */
  compactedBelow?: number;
  head?: number;
}

/** `'none'` matches nothing (a socket that unsubscribed from everything keeps its position). */
export type SubscriberFilter = EventFilter | 'none' | undefined;

export interface Subscriber {
  /** Read at every delivery, so a transport may replace it to change what the subscriber gets. */
  filter?: SubscriberFilter;
  /**
   * Takes matching events in seq order. Returns false when the subscriber's own buffer is over its
   * bound; the hub then ends the subscription with `slow_consumer`.
   */
  deliver(events: EventEnvelope[]): boolean;
  /** Resolves once what was delivered has left the process (catch-up waits on it, live never does). */
  drained(): Promise<void>;
  end(reason: StreamEnd): void;
}

/** A running subscription, as its transport sees it. */
export interface Subscription {
  /** Every matching event up to this seq has been handed to the subscriber: a valid resume cursor. */
  readonly cursor: number;
  /** Replacing it changes what is delivered after `cursor`. */
  filter: SubscriberFilter;
  cancel(): void;
}

interface Sub {
  s: Subscriber;
  cursor: number;
  live: boolean;
}

export interface HubStats {
  subscribers: number;
  live: number;
  /** Subscriptions ended so far, by reason. */
  ended: Record<StreamEnd['code'], number>;
}

const RING = 5000;
const READ_BATCH = 1000;

const matchesAll = (f: EventFilter | undefined): boolean =>
  f === undefined || (!f.threadIds?.length && !f.typePrefixes?.length);

/**
 * Fan-out of the event log for one gateway: one LISTEN, one shared read per wake-up, a ring of
 * recent events for cheap catch-up. A new subscriber first catches up from its cursor (ring, else
 * database, pacing itself on its own buffer) and then joins the live set; because JavaScript runs
 * one thing at a time, the switch to live happens exactly at the hub's head, so nothing is skipped or
 * delivered twice. Live delivery never waits for anyone: a subscriber whose buffer overflows is ended
 * with a resume hint instead of slowing the others. The hub knows nothing about transports.
 */
export class EventHub {
  #head = 0;
  #compactedBelow = 0;
  #ring: EventEnvelope[] = [];
  #subs = new Set<Sub>();
  #pulling: Promise<void> | null = null;
  #again = false;
  #ended: HubStats['ended'] = { slow_consumer: 0, server_shutdown: 0, internal_error: 0, cursor_expired: 0 };

  constructor(
    private readonly log: EventLog,
    private readonly notifier: Notifier,
    private readonly logger: Logger,
  ) {}

  get head(): number {
    return this.#head;
  }

  stats(): HubStats {
    let live = 0;
    for (const s of this.#subs) if (s.live) live++;
    return { subscribers: this.#subs.size, live, ended: { ...this.#ended } };
  }

  async start(): Promise<void> {
    const state = await this.log.state();
    this.#head = state.head;
    this.#compactedBelow = state.compactedBelow;
    this.notifier.on(EVENTS_CHANNEL, this.#notified);
    this.notifier.on('reconnect', this.wake);
    await this.notifier.listen(EVENTS_CHANNEL);
    this.wake();
  }

  stop(): void {
    this.notifier.off(EVENTS_CHANNEL, this.#notified);
    this.notifier.off('reconnect', this.wake);
    for (const sub of [...this.#subs]) this.#end(sub, { code: 'server_shutdown', resumeFrom: sub.cursor });
  }

  /**
   * Resolves the cursor a client asks for against the database (not this hub's head, which may lag
   * another gateway's by a few ms): omitted means the current head; ahead of the head is a 400;
   * below the compaction mark throws `CursorExpiredError`.
   */
  async openCursor(requested: number | undefined): Promise<{ cursor: number; head: number }> {
    const state = await this.log.state();
    this.#compactedBelow = Math.max(this.#compactedBelow, state.compactedBelow);
    const head = Math.max(state.head, this.#head);
    const cursor = requested ?? head;
    if (cursor > head) {
      throw new AppError(
        ErrorCode.invalidRequest,
        `cursor ${cursor} is ahead of the event log head ${head}`,
        {
          details: { cursor, head },
        },
      );
    }
    if (cursor < state.compactedBelow) throw new CursorExpiredError(cursor, state.compactedBelow, head);
    return { cursor, head };
  }

  /** Subscribes from `cursor` (exclusive). */
  subscribe(s: Subscriber, cursor: number): Subscription {
    const sub: Sub = { s, cursor, live: false };
    this.#subs.add(sub);
    void this.#catchUp(sub).catch((e: unknown) => {
      if (e instanceof CursorExpiredError) {
        this.#end(sub, {
          code: 'cursor_expired',
          resumeFrom: sub.cursor,
          compactedBelow: e.compactedBelow,
          head: e.head,
        });
        return;
      }
      this.logger.error({ err: (e as Error).message }, 'stream catch-up failed');
      this.#end(sub, { code: 'internal_error', resumeFrom: sub.cursor });
    });
    const subs = this.#subs;
    return {
      get cursor() {
        return sub.cursor;
      },
      get filter() {
        return s.filter;
      },
      set filter(f: SubscriberFilter) {
        s.filter = f;
      },
      cancel: () => void subs.delete(sub),
    };
  }

  /**
   * A NOTIFY names the range it committed: one the hub has read already costs nothing, and a small
   * one that directly follows the head carries its rows, which are taken without a read.
   */
  #notified = (payload: string): void => {
    const notice = parseEventNotice(payload);
    if (notice && notice.last <= this.#head) return;
    if (notice?.events && !this.#pulling && notice.first === this.#head + 1) this.#accept(notice.events);
    else this.wake();
  };

  wake = (): void => {
    if (this.#pulling) {
      this.#again = true;
      return;
    }
    this.#pulling = this.#pull()
      .catch((e: unknown) => this.#pullFailed(e))
      .finally(() => {
        this.#pulling = null;
        if (this.#again) {
          this.#again = false;
          this.wake();
        }
      });
  };

  async #pull(): Promise<void> {
    for (;;) {
      const { events, compactedBelow } = await this.log.read(this.#head, { limit: READ_BATCH });
      this.#compactedBelow = compactedBelow;
      if (events.length === 0) return;
      this.#accept(events);
      if (events.length < READ_BATCH) return;
    }
  }

  /** The next events after the head, in order: into the ring and out to every live subscriber. */
  #accept(events: EventEnvelope[]): void {
    this.#head = events[events.length - 1]!.seq;
    this.#ring.push(...events);
    if (this.#ring.length > RING) this.#ring.splice(0, this.#ring.length - RING);
    for (const sub of this.#subs) if (sub.live) this.#send(sub, events);
    this.#traceFanOut(events);
  }

  /**
   * One short span per trace in the batch, child of the span that caused its events: the trace of a
   * request shows when its events reached this gateway's subscribers.
   */
  #traceFanOut(events: EventEnvelope[]): void {
    const byTrace = new Map<string, EventEnvelope[]>();
    for (const e of events) {
      if (!e.traceId || !e.spanId) continue;
      const key = `${e.traceId}/${e.spanId}`;
      const list = byTrace.get(key);
      if (list) list.push(e);
      else byTrace.set(key, [e]);
    }
    for (const list of byTrace.values()) {
      eventSpan(
        'stream fan-out',
        {
          'cm.events': list.length,
          'cm.seq.first': list[0]!.seq,
          'cm.seq.last': list[list.length - 1]!.seq,
          'cm.subscribers': this.#subs.size,
        },
        list[0]!,
      ).end();
    }
  }

  /**
   * Only possible when this hub fell further behind than the retention (compaction ran past its
   * head): live subscribers cannot be served without a hole, so they are told to re-read state.
   */
  async #pullFailed(e: unknown): Promise<void> {
    if (!(e instanceof CursorExpiredError)) {
      this.logger.error({ err: (e as Error).message }, 'event read failed');
      return;
    }
    this.logger.warn({ head: this.#head, compactedBelow: e.compactedBelow }, 'hub fell behind compaction');
    for (const sub of [...this.#subs]) {
      if (!sub.live) continue;
      this.#end(sub, {
        code: 'cursor_expired',
        resumeFrom: sub.cursor,
        compactedBelow: e.compactedBelow,
        head: e.head,
      });
    }
    this.#ring = [];
    this.#head = e.head;
    this.#compactedBelow = e.compactedBelow;
  }

  async #catchUp(sub: Sub): Promise<void> {
    if (sub.cursor < this.#compactedBelow) {
      throw new CursorExpiredError(sub.cursor, this.#compactedBelow, this.#head);
    }
    while (this.#subs.has(sub)) {
      if (sub.cursor >= this.#head) {
        sub.live = true; // same tick as the check: no pull can run in between
        return;
      }
      // Pace the backlog on this subscriber's own buffer; nobody else waits for it.
      await sub.s.drained();
      if (!this.#subs.has(sub)) return;
      if (sub.cursor >= this.#head) continue;
      const filter = sub.s.filter;
      const oldest = this.#ring[0]?.seq;
      if (filter === 'none') {
        sub.cursor = this.#head; // nothing to deliver: jump straight to live
      } else if (oldest !== undefined && sub.cursor >= oldest - 1) {
        const from = this.#ring.findIndex((e) => e.seq > sub.cursor);
        if (!this.#send(sub, this.#ring.slice(from, from + READ_BATCH))) return;
      } else {
        const upTo = this.#head;
        // Push a thread filter down to the database (indexed); types are filtered here.
        const pushdown = filter?.threadIds?.length ? { threadIds: filter.threadIds } : undefined;
        const { events, lastSeq } = await this.log.read(sub.cursor, {
          limit: READ_BATCH,
          upTo,
          ...(pushdown ? { filter: pushdown } : {}),
        });
        if (!this.#subs.has(sub)) return;
        if (sub.s.filter !== filter) continue; // the filter changed while reading: read again
        if (!this.#send(sub, events)) return;
        sub.cursor = Math.max(sub.cursor, lastSeq);
      }
    }
  }

  /**
   * Delivers the events after the subscriber's cursor that match its filter and advances the cursor.
   * An unfiltered subscriber receives the very array read from the log, so transports can encode a
   * batch once for all of them.
   */
  #send(sub: Sub, events: EventEnvelope[]): boolean {
    const fresh =
      events.length > 0 && events[0]!.seq <= sub.cursor ? events.filter((e) => e.seq > sub.cursor) : events;
    if (fresh.length === 0) return true;
    sub.cursor = fresh[fresh.length - 1]!.seq;
    const f = sub.s.filter;
    if (f === 'none') return true;
    const matching = matchesAll(f) ? fresh : fresh.filter((e) => matchesFilter(e, f));
    if (matching.length === 0 || sub.s.deliver(matching)) return true;
    // Everything up to the event before this batch reached the subscriber's buffer.
    this.#end(sub, { code: 'slow_consumer', resumeFrom: matching[0]!.seq - 1 });
    return false;
  }

  #end(sub: Sub, reason: StreamEnd): void {
    if (!this.#subs.delete(sub)) return;
    this.#ended[reason.code]++;
    sub.s.end(reason);
  }
}
