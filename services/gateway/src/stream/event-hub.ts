import {
  EVENTS_CHANNEL,
  matchesFilter,
  type EventEnvelope,
  type EventFilter,
  type EventLog,
  type Logger,
  type Notifier,
} from '@codex-manager/core';

export interface Subscriber {
  filter?: EventFilter;
  /** Returns false when the subscriber can take no more (it is then dropped by its owner). */
  deliver(events: EventEnvelope[]): boolean;
  close(reason: string): void;
}

interface Sub {
  s: Subscriber;
  cursor: number;
  live: boolean;
}

const RING = 5000;
const READ_BATCH = 1000;

/**
 * Fan-out of the event log for one gateway: one LISTEN, one shared read per wake-up, a ring of
 * recent events for cheap catch-up. A new subscriber first catches up from its cursor (ring, else
 * database) and then joins the live set; because JavaScript runs one thing at a time, the switch to
 * live happens exactly at the hub's head, so nothing is skipped or delivered twice.
 */
export class EventHub {
  #head = 0;
  #ring: EventEnvelope[] = [];
  #subs = new Set<Sub>();
  #pulling: Promise<void> | null = null;
  #again = false;

  constructor(
    private readonly log: EventLog,
    private readonly notifier: Notifier,
    private readonly logger: Logger,
  ) {}

  get head(): number {
    return this.#head;
  }

  get subscriberCount(): number {
    return this.#subs.size;
  }

  async start(): Promise<void> {
    this.#head = await this.log.head();
    this.notifier.on(EVENTS_CHANNEL, this.wake);
    this.notifier.on('reconnect', this.wake);
    await this.notifier.listen(EVENTS_CHANNEL);
    this.wake();
  }

  stop(): void {
    this.notifier.off(EVENTS_CHANNEL, this.wake);
    this.notifier.off('reconnect', this.wake);
    for (const sub of this.#subs) sub.s.close('server_shutdown');
    this.#subs.clear();
  }

  /** Subscribes from `cursor` (exclusive). Returns an unsubscribe function. */
  subscribe(s: Subscriber, cursor: number): () => void {
    const sub: Sub = { s, cursor, live: false };
    this.#subs.add(sub);
    void this.#catchUp(sub).catch((e: Error) => {
      this.logger.error({ err: e.message }, 'stream catch-up failed');
      this.#drop(sub, 'internal_error');
    });
    return () => this.#subs.delete(sub);
  }

  wake = (): void => {
    if (this.#pulling) {
      this.#again = true;
      return;
    }
    this.#pulling = this.#pull()
      .catch((e: Error) => this.logger.error({ err: e.message }, 'event read failed'))
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
      const { events } = await this.log.read(this.#head, { limit: READ_BATCH });
      if (events.length === 0) return;
      this.#head = events[events.length - 1]!.seq;
      this.#ring.push(...events);
      if (this.#ring.length > RING) this.#ring.splice(0, this.#ring.length - RING);
      for (const sub of this.#subs) if (sub.live) this.#send(sub, events);
      if (events.length < READ_BATCH) return;
    }
  }

  async #catchUp(sub: Sub): Promise<void> {
    while (this.#subs.has(sub)) {
      if (sub.cursor >= this.#head) {
        sub.live = true; // same tick as the check: no pull can run in between
        return;
      }
      const oldest = this.#ring[0]?.seq;
      if (oldest !== undefined && sub.cursor >= oldest - 1) {
        const from = this.#ring.findIndex((e) => e.seq > sub.cursor);
        const slice = this.#ring.slice(from, from + READ_BATCH);
        if (!this.#send(sub, slice)) return;
      } else {
        const upTo = this.#head;
        const { events, lastSeq } = await this.log.read(sub.cursor, { limit: READ_BATCH, upTo });
        if (!this.#subs.has(sub)) return;
        if (!this.#send(sub, events)) return;
        sub.cursor = Math.max(sub.cursor, lastSeq);
      }
    }
  }

  /** Delivers the events after the subscriber's cursor that match its filter; advances the cursor. */
  #send(sub: Sub, events: EventEnvelope[]): boolean {
    const fresh = events.filter((e) => e.seq > sub.cursor);
    if (fresh.length === 0) return true;
    sub.cursor = fresh[fresh.length - 1]!.seq;
    const matching = fresh.filter((e) => matchesFilter(e, sub.s.filter));
    if (matching.length === 0 || sub.s.deliver(matching)) return true;
    this.#drop(sub, 'slow_consumer');
    return false;
  }

  #drop(sub: Sub, reason: string): void {
    this.#subs.delete(sub);
    sub.s.close(reason);
  }
}
