import fs from 'node:fs';
import path from 'node:path';

/**
 * The environment both sides run in: the caller's, with HOME an empty directory under `dir`. A new
 * thread makes app-server run the user's login shell once to capture its environment; a heavy shell
 * profile (pyenv, nvm, conda) then starts seconds of background CPU per thread (pyenv's rehash on the
 * development machine), which would swamp what the bench compares. Neither side reads anything else
 * from HOME: CODEX_HOME, the data directory and the database are explicit.
 */
export function benchEnv(dir: string): NodeJS.ProcessEnv {
  const home = path.join(dir, 'home');
  fs.mkdirSync(home, { recursive: true });
  return { ...process.env, HOME: home };
}

/**
 * What both sides of the comparison report for one turn, measured from the moment the request left
 * the client (turn/start on the floor, POST /messages through the stack).
 */
export interface TurnTiming {
  /** ms until the first agentMessage delta reached the client. */
  firstDeltaMs: number;
  /** ms until turn/completed reached the client. */
  completedMs: number;
  /** Delta notifications the client saw (coalesced events count for what they carry). */
  deltas: number;
  /** Events that carried them. */
  deltaEvents: number;
  /** Arrival of the first / last delta event (performance.now()). */
  firstAt: number;
  lastAt: number;
  /** Notifications in the first delta event (1 on the floor). */
  inFirst: number;
}

export interface TurnDriver {
  readonly name: string;
  newThread(): Promise<string>;
  turn(threadId: string, text: string): Promise<TurnTiming>;
  stop(): Promise<void>;
}

/** Collects the timing of the turns in flight, one per thread, from whatever delivers the events. */
export class TurnTracker {
  #active = new Map<string, { t0: number; timing: Partial<TurnTiming>; done: (t: TurnTiming) => void }>();

  start(threadId: string, t0: number): Promise<TurnTiming> {
    return new Promise((done) =>
      this.#active.set(threadId, { t0, timing: { deltas: 0, deltaEvents: 0 }, done }),
    );
  }

  delta(threadId: string | undefined, carried: number, at: number): void {
    const a = threadId ? this.#active.get(threadId) : undefined;
    if (!a) return;
    const t = a.timing;
    if (t.firstAt === undefined) {
      t.firstAt = at;
      t.firstDeltaMs = at - a.t0;
      t.inFirst = carried;
    }
    t.lastAt = at;
    t.deltas! += carried;
    t.deltaEvents! += 1;
  }

  completed(threadId: string | undefined, at: number): void {
    const a = threadId ? this.#active.get(threadId) : undefined;
    if (!a) return;
    this.#active.delete(threadId!);
    a.timing.completedMs = at - a.t0;
    a.timing.firstAt ??= at;
    a.timing.lastAt ??= at;
    a.timing.firstDeltaMs ??= NaN;
    a.timing.inFirst ??= 0;
    a.done(a.timing as TurnTiming);
  }
}
