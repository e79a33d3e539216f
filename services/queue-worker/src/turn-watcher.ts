import { EVENTS_CHANNEL, type Logger, type Notifier, type Pool } from '@codex-manager/core';

export interface TurnOutcome {
  status: 'completed' | 'failed' | 'interrupted';
  error: unknown;
  /** Text of the turn's last agent message, if it produced one. */
  finalText: string | null;
}

interface Waiter {
  threadId: string;
  turnId: string;
  after: number;
  finalText: string | null;
  resolve: (o: TurnOutcome) => void;
}

interface Row {
  seq: number | null;
  type: string | null;
  turn_id: string | null;
  data: { params?: Record<string, unknown> } | null;
  head: number;
}

const TYPES = ['runtime.item.completed', 'runtime.turn.completed', 'turn.interrupted'];
const BATCH = 500;

/**
 * Waits for worker turns to end by reading the event log, woken by NOTIFY cm_events (and a slow poll
 * in case a notification was lost). One query per wake-up serves every waiting job: it reads only
 * the worker threads' completion events, up to the log head seen in the same snapshot, so nothing
 * committed before the head can be skipped.
 */
export class TurnWatcher {
  #waiters = new Map<string, Waiter>();
  #scanning = false;
  #again = false;
  #poll: NodeJS.Timeout | null = null;

  constructor(
    private readonly pool: Pool,
    private readonly notifier: Notifier,
    private readonly log: Logger,
    private readonly pollMs = 1000,
  ) {}

  async start(): Promise<void> {
    this.notifier.on(EVENTS_CHANNEL, this.#wake);
    this.notifier.on('reconnect', this.#wake);
    await this.notifier.listen(EVENTS_CHANNEL);
    this.#poll = setInterval(this.#wake, this.pollMs);
    this.#poll.unref();
  }

  stop(): void {
    this.notifier.off(EVENTS_CHANNEL, this.#wake);
    this.notifier.off('reconnect', this.#wake);
    if (this.#poll) clearInterval(this.#poll);
  }

  /**
   * Resolves when turn `turnId` of `threadId` ends; `after` is a log position taken before the turn
   * was started, so an end that was appended before this call is still found.
   */
  wait(threadId: string, turnId: string, after: number, signal: AbortSignal): Promise<TurnOutcome> {
    return new Promise<TurnOutcome>((resolve, reject) => {
      const onAbort = () => {
        this.#waiters.delete(turnId);
        reject(signal.reason);
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiters.set(turnId, {
        threadId,
        turnId,
        after,
        finalText: null,
        resolve: (o) => {
          signal.removeEventListener('abort', onAbort);
          this.#waiters.delete(turnId);
          resolve(o);
        },
      });
      this.#wake();
    });
  }

  #wake = (): void => {
    if (this.#waiters.size === 0) return;
    if (this.#scanning) {
      this.#again = true;
      return;
    }
    this.#scanning = true;
    void this.#scan()
      .catch((e: Error) => this.log.warn({ err: e.message }, 'reading worker turn events failed'))
      .finally(() => {
        this.#scanning = false;
        if (this.#again) {
          this.#again = false;
          this.#wake();
        }
      });
  };

  async #scan(): Promise<void> {
    for (;;) {
      const waiters = [...this.#waiters.values()];
      if (waiters.length === 0) return;
      const from = Math.min(...waiters.map((w) => w.after));
      const threads = [...new Set(waiters.map((w) => w.threadId))];
      const { rows } = await this.pool.query<Row>({
        name: 'cm_worker_turn_events',
        text: `WITH h AS (SELECT seq AS head FROM event_head)
               SELECT e.seq, e.type, e.turn_id, e.data, h.head FROM h LEFT JOIN LATERAL (
                 SELECT seq, type, turn_id, data FROM events
                 WHERE seq > $1 AND seq <= h.head AND thread_id = ANY($2::text[]) AND type = ANY($3::text[])
                 ORDER BY seq LIMIT ${BATCH}) e ON true`,
        values: [from, threads, TYPES],
      });
      const head = rows[0]?.head ?? from;
      const found = rows.filter((r) => r.seq !== null);
      for (const r of found) this.#apply(r);
      const upTo = found.length === BATCH ? found[found.length - 1]!.seq! : head;
      for (const w of waiters) w.after = Math.max(w.after, upTo);
      if (found.length < BATCH) return;
    }
  }

  #apply(r: Row): void {
    const w = r.turn_id ? this.#waiters.get(r.turn_id) : undefined;
    if (!w || r.seq! <= w.after) return;
    const params = r.data?.params ?? {};
    if (r.type === 'runtime.item.completed') {
      const item = params.item as { type?: string; text?: string } | undefined;
      if (item?.type === 'agentMessage' && typeof item.text === 'string') w.finalText = item.text;
      return;
    }
    if (r.type === 'turn.interrupted') {
      w.resolve({ status: 'interrupted', error: r.data ?? null, finalText: w.finalText });
      return;
    }
    const turn = params.turn as { status?: string; error?: unknown } | undefined;
    const status = turn?.status === 'completed' || turn?.status === 'failed' ? turn.status : 'interrupted';
    w.resolve({ status, error: turn?.error ?? null, finalText: w.finalText });
  }
}
