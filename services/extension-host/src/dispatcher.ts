import {
  AppError,
  EVENTS_CHANNEL,
  eventSpan,
  type Actions,
  type EventEnvelope,
  type EventLog,
  type Logger,
  type Notifier,
  type Pool,
} from '@codex-manager/core';
import type { LoadedExtension } from './loader';
import { WokenLoop } from './woken-loop';
import { matchesEvent } from './manifest';
import type { ExtensionStats } from './stats';

export interface ActiveExtension extends LoadedExtension {
  stats: ExtensionStats;
  actions: Actions;
  timeoutMs: number;
}

const BATCH = 200;

/**
 * Delivers events to extension handlers, at least once, in log order. Each extension has a durable
 * cursor (`extension_cursors`); a handler that ran may run again for the same event after a crash,
 * so handlers are idempotent by `seq`. For one event, extensions run by priority (high first), then
 * name, and an extension's handlers in registration order. Each handler has a timeout; a failure or
 * timeout is recorded and isolated: the next handler and the next event go on.
 *
 * The set of extensions is swapped only between two events, so a reload never splits an event's
 * delivery between an old and a new set.
 */
export class Dispatcher {
  #set: ActiveExtension[] = [];
  #cursors = new Map<string, number>();
  #pending: { set: ActiveExtension[]; done: () => void } | null = null;
  readonly #wakes: WokenLoop;

  constructor(
    private readonly pool: Pool,
    notifier: Notifier,
    private readonly events: EventLog,
    private readonly log: Logger,
    pollMs = 1000,
  ) {
    this.#wakes = new WokenLoop({
      notifier,
      channel: EVENTS_CHANNEL,
      pollMs,
      work: () => this.#loop(),
      onError: (e) => this.log.error({ err: e.message }, 'dispatching events failed'),
      afterRun: () => this.#swap(),
    });
  }

  get active(): readonly ActiveExtension[] {
    return this.#set;
  }

  start(): Promise<void> {
    return this.#wakes.start();
  }

  stop(): Promise<void> {
    return this.#wakes.stop();
  }

  wake = (): void => this.#wakes.wake();

  /** Replaces the active set at the next event boundary; resolves once it is in place. */
  async activate(set: ActiveExtension[]): Promise<void> {
    await this.#initCursors(set.map((e) => e.manifest.name));
    if (!this.#wakes.busy) {
      this.#set = set;
      this.wake();
      return;
    }
    await new Promise<void>((done) => {
      this.#pending?.done();
      this.#pending = { set, done };
    });
  }

  #swap(): void {
    if (!this.#pending) return;
    this.#set = this.#pending.set;
    this.#pending.done();
    this.#pending = null;
  }

  /** A new extension starts at the log head: it is not handed the whole history on first load. */
  async #initCursors(names: string[]): Promise<void> {
    if (names.length === 0) return;
    const { rows } = await this.pool.query<{ name: string; seq: number }>(
      `INSERT INTO extension_cursors (name, seq) SELECT n, (SELECT seq FROM event_head) FROM unnest($1::text[]) n
       ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING name, seq`,
      [names],
    );
    for (const r of rows) if (!this.#cursors.has(r.name)) this.#cursors.set(r.name, r.seq);
  }

  async #loop(): Promise<void> {
    for (;;) {
      this.#swap();
      const set = this.#set;
      if (!this.#wakes.active || set.length === 0) return;
      const from = Math.min(...set.map((e) => this.#cursors.get(e.manifest.name) ?? 0));
      const { events, lastSeq } = await this.events.read(from, { limit: BATCH });
      const moved = new Set<string>();
      for (const event of events) {
        if (!this.#wakes.active || this.#pending) break;
        for (const ext of set) {
          const name = ext.manifest.name;
          if ((this.#cursors.get(name) ?? 0) >= event.seq) continue;
          if (wants(ext, event)) {
            for (const h of ext.handlers)
              if (matchesEvent(h.event, event.type)) await this.#invoke(ext, h, event);
            this.#cursors.set(name, event.seq);
            await this.#persist([name]);
          } else {
            this.#cursors.set(name, event.seq);
            moved.add(name);
          }
        }
      }
      // Nothing after `lastSeq` was read: every extension may move there.
      if (!this.#pending && this.#wakes.active && events.length < BATCH) {
        for (const ext of set) {
          const name = ext.manifest.name;
          if ((this.#cursors.get(name) ?? 0) < lastSeq) {
            this.#cursors.set(name, lastSeq);
            moved.add(name);
          }
        }
      }
      await this.#persist([...moved]);
      if (events.length < BATCH || this.#pending || !this.#wakes.active) return;
    }
  }

  async #persist(names: string[]): Promise<void> {
    if (names.length === 0) return;
    await this.pool.query(
      `UPDATE extension_cursors c SET seq = v.seq, updated_at = now()
       FROM unnest($1::text[], $2::bigint[]) v(name, seq) WHERE c.name = v.name AND c.seq < v.seq`,
      [names, names.map((n) => this.#cursors.get(n) ?? 0)],
    );
  }

  async #invoke(
    ext: ActiveExtension,
    h: ActiveExtension['handlers'][number],
    event: EventEnvelope,
  ): Promise<void> {
    const name = ext.manifest.name;
    const key = `${h.event}#${h.index}`;
    const controller = new AbortController();
    const log = this.log.child({ extension: name, handler: key, seq: event.seq });
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => {
        controller.abort(new Error(`handler timed out after ${ext.timeoutMs} ms`));
        resolve('timeout');
      }, ext.timeoutMs);
    });
    let outcome: 'ok' | 'error' | 'timeout' = 'ok';
    let error: { code: string; message: string } | null = null;
    const span = eventSpan(
      `extension ${name} ${event.type}`,
      { 'cm.extension': name, 'cm.handler': key, 'cm.event.seq': event.seq },
      event,
    );
    try {
      const run = span.run(() =>
        Promise.resolve().then(() =>
          h.handle(event, {
            extension: { name, version: ext.manifest.version },
            actions: ext.actions,
            log,
            signal: controller.signal,
          }),
        ),
      );
      run.catch(() => undefined); // a handler that fails after its timeout is already recorded
      if ((await Promise.race([run, timedOut])) === 'timeout') {
        outcome = 'timeout';
        error = { code: 'timeout', message: `handler timed out after ${ext.timeoutMs} ms` };
      }
    } catch (e) {
      outcome = 'error';
      error = {
        code: e instanceof AppError ? e.code : ((e as { code?: string })?.code ?? 'error'),
        message: (e as Error)?.message ?? String(e),
      };
    } finally {
      clearTimeout(timer);
      span.end(error ?? undefined);
    }
    ext.stats.record(key, performance.now() - started, outcome);
    if (!error) return;
    log.warn({ error }, 'extension handler failed');
    ext.stats.error({
      kind: outcome === 'timeout' ? 'timeout' : 'error',
      handler: key,
      eventSeq: event.seq,
      eventType: event.type,
      ...error,
    });
    await this.events
      .append([
        {
          type: 'extension.handler.failed',
          ...(event.threadId ? { threadId: event.threadId } : {}),
          source: 'extension-host',
          data: { extension: name, handler: key, eventSeq: event.seq, eventType: event.type, error },
        },
      ])
      .catch((e: Error) => log.error({ err: e.message }, 'could not record the handler failure'));
  }
}

/** Subscribed, and not an echo of this extension's own actions or failures. */
function wants(ext: ActiveExtension, event: EventEnvelope): boolean {
  const own =
    (event.type === 'extension.action' && event.data.actor === `extension:${ext.manifest.name}`) ||
    (event.type === 'extension.handler.failed' && event.data.extension === ext.manifest.name);
  return !own && ext.handlers.some((h) => matchesEvent(h.event, event.type));
}
