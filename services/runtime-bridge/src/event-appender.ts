import type { EventLog, Logger, NewEvent, PoolClient, Pool } from '@codex-manager/core';
import { coalesceDeltas } from './delta-coalescer';

export type Projector = (client: PoolClient, events: NewEvent[]) => Promise<void>;

/**
 * Appends runtime events in arrival order. Events arriving within `windowMs` of each other go in
 * one transaction (one INSERT + one NOTIFY), together with the read-model updates the projector
 * derives from them, so read models never run ahead of or behind the log. One flush runs at a time.
 * A failed flush is retried with backoff; events are never reordered or dropped while the process lives.
 * With `coalesce`, consecutive text deltas of one item within a batch become one event
 * (`delta-coalescer.ts`): same text, same order, far fewer rows during a burst.
 */
export class EventAppender {
  #queue: NewEvent[] = [];
  #timer: NodeJS.Timeout | null = null;
  #flushing: Promise<void> | null = null;
  #idle: (() => void)[] = [];

  constructor(
    private readonly pool: Pool,
    private readonly log: EventLog,
    private readonly project: Projector,
    private readonly windowMs: number,
    private readonly logger: Logger,
    private readonly opts: { maxBatch?: number; coalesce?: boolean } = {},
  ) {}

  private get maxBatch(): number {
    return this.opts.maxBatch ?? 500;
  }

  push(event: NewEvent): void {
    this.#queue.push(event);
    if (this.#flushing) return; // the running flush loops until the queue is empty
    if (this.#queue.length >= this.maxBatch) this.#kick(0);
    else if (!this.#timer) this.#kick(this.windowMs);
  }

  /** Resolves once everything pushed so far is committed. */
  drain(): Promise<void> {
    if (this.#queue.length === 0 && !this.#flushing) return Promise.resolve();
    if (!this.#flushing && !this.#timer) this.#kick(0);
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #kick(delay: number): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#flushing = this.#flushLoop().finally(() => {
        this.#flushing = null;
        if (this.#queue.length > 0) this.#kick(0);
        else this.#idle.splice(0).forEach((r) => r());
      });
    }, delay);
  }

  async #flushLoop(): Promise<void> {
    let backoff = 50;
    while (this.#queue.length > 0) {
      const batch = this.#queue.slice(0, this.maxBatch);
      const rows = this.opts.coalesce ? coalesceDeltas(batch) : batch;
      const client = await this.pool.connect().catch(() => null);
      try {
        if (!client) throw new Error('no database connection');
        await client.query('BEGIN');
        await this.log.append(rows, client);
        await this.project(client, rows);
        await client.query('COMMIT');
        this.#queue.splice(0, batch.length);
        backoff = 50;
      } catch (e) {
        await client?.query('ROLLBACK').catch(() => undefined);
        this.logger.error(
          { err: (e as Error).message, pending: this.#queue.length },
          'event append failed; retrying',
        );
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 5000);
      } finally {
        client?.release();
      }
    }
  }
}
