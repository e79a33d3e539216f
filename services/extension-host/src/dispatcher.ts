import {
  AppError,
  EVENTS_CHANNEL,
  eventSpan,
  noticeSkips,
  type Actions,
  type EventEnvelope,
  type EventFilter,
  type EventLog,
  type Logger,
  type Notifier,
  type Pool,
} from '@codex-manager/core';
import type { LoadedExtension } from './loader';
import { SETTLE_MS, WokenLoop, announcesRequest, noticeHead } from './woken-loop';
import { matchesEvent } from './manifest';
import type { ExtensionStats } from './stats';

export interface ActiveExtension extends LoadedExtension {
  stats: ExtensionStats;
  actions: Actions;
  timeoutMs: number;
}

const BATCH = 200;
/**
 * How long a cursor that only moved over events nobody handles, or whose handlers only looked (no
 * action), may wait before it is written. After a crash those events are read again: skipped again,
 * or handed to handlers that again only look.
 */
const LAZY_PERSIST_MS = 500;

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
  /** Cursors moved in memory but not yet written (see LAZY_PERSIST_MS). */
  #unwritten = new Set<string>();
  #persistTimer: NodeJS.Timeout | null = null;
  readonly #wakes: WokenLoop;

  constructor(
    private readonly pool: Pool,
    notifier: Notifier,
    private readonly events: EventLog,
    private readonly log: Logger,
    pollMs = 1000,
    settleMs = SETTLE_MS,
    private readonly lazyPersistMs = LAZY_PERSIST_MS,
  ) {
    this.#wakes = new WokenLoop({
      notifier,
      channel: EVENTS_CHANNEL,
      pollMs,
      work: () => this.#loop(),
      onError: (e) => this.log.error({ err: e.message }, 'dispatching events failed'),
      afterRun: () => this.#swap(),
      absorb: (payload) => this.#absorb(payload),
      settleMs,
      urgent: announcesRequest,
    });
  }

  get active(): readonly ActiveExtension[] {
    return this.#set;
  }

  start(): Promise<void> {
    return this.#wakes.start();
  }

  async stop(): Promise<void> {
    await this.#wakes.stop();
    await this.#writeMoved();
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

  /**
   * A NOTIFY whose range follows every cursor and holds no subscribed type moves the cursors
   * without a read (written later, like any move over unhandled events).
   */
  #absorb(payload: string): boolean {
    const notice = noticeHead(payload);
    const set = this.#set;
    if (!notice || this.#pending || set.length === 0) return false;
    const position = Math.min(...set.map((e) => this.#cursors.get(e.manifest.name) ?? 0));
    if (!noticeSkips(notice, position, subscribed(set)?.typePrefixes)) return false;
    const moved = new Set<string>();
    for (const e of set) {
      const name = e.manifest.name;
      if ((this.#cursors.get(name) ?? 0) < notice.last) {
        this.#cursors.set(name, notice.last);
        moved.add(name);
      }
    }
    this.#persistLater(moved);
    return true;
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
      const { events, lastSeq } = await this.events.read(from, { limit: BATCH, filter: subscribed(set) });
      const moved = new Set<string>();
      for (const event of events) {
        if (!this.#wakes.active || this.#pending) break;
        const acted: string[] = [];
        for (const ext of set) {
          const name = ext.manifest.name;
          if ((this.#cursors.get(name) ?? 0) >= event.seq) continue;
          let didAct = false;
          if (wants(ext, event)) {
            for (const h of ext.handlers)
              if (matchesEvent(h.event, event.type)) didAct = (await this.#invoke(ext, h, event)) || didAct;
          }
          if (didAct) acted.push(name);
          else moved.add(name);
          this.#cursors.set(name, event.seq);
        }
        // Written once the event's handlers have all run: a crash before that runs them again. A
        // cursor that moved over events whose handlers only looked (no action, no failure) is
        // written later, like one that moved over events nobody handles.
        if (acted.length > 0) {
          await this.#persist(acted);
          for (const name of acted) {
            this.#unwritten.delete(name);
            moved.delete(name);
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
      this.#persistLater(moved);
      if (events.length < BATCH || this.#pending || !this.#wakes.active) return;
    }
  }

  #persistLater(names: Set<string>): void {
    for (const n of names) this.#unwritten.add(n);
    if (this.#unwritten.size === 0 || this.#persistTimer) return;
    this.#persistTimer = setTimeout(() => void this.#writeMoved(), this.lazyPersistMs);
    this.#persistTimer.unref();
  }

  async #writeMoved(): Promise<void> {
    if (this.#persistTimer) clearTimeout(this.#persistTimer);
    this.#persistTimer = null;
    const names = [...this.#unwritten];
    this.#unwritten.clear();
    await this.#persist(names).catch((e: Error) => {
      this.log.warn({ err: e.message }, 'could not write extension cursors; retrying');
      this.#persistLater(new Set(names));
    });
  }

  async #persist(names: string[]): Promise<void> {
    if (names.length === 0) return;
    await this.pool.query(
      `UPDATE extension_cursors c SET seq = v.seq, updated_at = now()
       FROM unnest($1::text[], $2::bigint[]) v(name, seq) WHERE c.name = v.name AND c.seq < v.seq`,
      [names, names.map((n) => this.#cursors.get(n) ?? 0)],
    );
  }

  /**
   * Runs one handler; true when it acted: called an action that changes something, failed or timed
   * out (a failure is recorded as an event).
   */
  async #invoke(
    ext: ActiveExtension,
    h: ActiveExtension['handlers'][number],
    event: EventEnvelope,
  ): Promise<boolean> {
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
    let acted = false;
    const actions = observed(ext.actions, () => (acted = true));
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
            actions,
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
    if (!error) return acted;
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
    return true;
  }
}

/** Actions that only read. */
const READS: ReadonlySet<PropertyKey> = new Set(['readSetting']);

/** The extension's actions, calling `onAct` when a handler calls one that is not a read. */
function observed(actions: Actions, onAct: () => void): Actions {
  return new Proxy(actions, {
    get(target, prop) {
      const v: unknown = Reflect.get(target, prop, target);
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        if (!READS.has(prop)) onAct();
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/**
 * What the set subscribes to, as type prefixes for the database (an exact type is its own prefix;
 * `wants` and `matchesEvent` still decide): the host is not sent the deltas nobody handles.
 */
function subscribed(set: ActiveExtension[]): EventFilter | undefined {
  const patterns = set.flatMap((e) => e.handlers.map((h) => h.event));
  if (patterns.includes('*')) return undefined;
  return { typePrefixes: [...new Set(patterns.map((p) => (p.endsWith('.*') ? p.slice(0, -1) : p)))] };
}

/** Subscribed, and not an echo of this extension's own actions or failures. */
function wants(ext: ActiveExtension, event: EventEnvelope): boolean {
  const own =
    (event.type === 'extension.action' && event.data.actor === `extension:${ext.manifest.name}`) ||
    (event.type === 'extension.handler.failed' && event.data.extension === ext.manifest.name);
  return !own && ext.handlers.some((h) => matchesEvent(h.event, event.type));
}
