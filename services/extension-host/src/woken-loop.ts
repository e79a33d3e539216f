import { parseEventNotice, type EventNotice, type Notifier } from '@codex-manager/core';

/**
 * How long the extension-host's loops let a burst of appends settle before reading (see
 * `settleMs`): a tenth of a second is invisible to automation and to a person reading the inbox.
 */
export const SETTLE_MS = 100;

let lastNotice: { payload: string; notice: EventNotice | null } | null = null;

/**
 * The head (range and types) of an event-log NOTIFY, parsed once however many loops look at it:
 * every loop of this process is handed the same payload, and each asks twice (urgent, absorb).
 */
export function noticeHead(payload: string): EventNotice | null {
  if (lastNotice?.payload !== payload) lastNotice = { payload, notice: parseEventNotice(payload, false) };
  return lastNotice.notice;
}

/**
 * An event-log NOTIFY that must not wait: it announces a server request (an approval, a question, a
 * tool call) that an extension may be the one to answer, or types it cannot tell.
 */
export function announcesRequest(payload: string): boolean {
  const types = noticeHead(payload)?.types;
  return !types || types.some((t) => t.startsWith('request.'));
}

export interface WokenLoopOptions {
  notifier: Notifier;
  /** NOTIFY channel that wakes the loop; a reconnect of the listener wakes it too. */
  channel: string;
  /** Backstop poll for a missed NOTIFY. */
  pollMs: number;
  /** One run: reads and applies whatever is new. */
  work: () => Promise<void>;
  onError: (e: Error) => void;
  /** Called after every run, before a queued one starts. */
  afterRun?: () => void;
  /**
   * Takes a NOTIFY's payload without a run when it can (for the event log: the range it announces
   * was read already, or holds no type the loop wants) and returns true; false runs the loop.
   * Wakes without a payload (poll, reconnect, direct calls) always run.
   */
  absorb?: (payload: string) => boolean;
  /**
   * For background consumers: how long a run waits after the wake that starts it. A turn writes its
   * events in a dozen small appends within ~150 ms; waiting lets one run read them all, after the
   * burst instead of inside it, where each read takes CPU from the runtime producing the turn. Wakes
   * during the wait join the coming run. 0 (default) runs at once.
   */
  settleMs?: number;
  /** A NOTIFY payload that must not wait (its run starts at once, or a waiting run is started now). */
  urgent?: (payload: string) => boolean;
}

/**
 * Runs `work` when woken (NOTIFY, reconnect, poll), one run at a time: a wake during a run schedules
 * exactly one more run after it, so no wake is lost and runs never overlap.
 */
export class WokenLoop {
  #active = false;
  #current: Promise<void> | null = null;
  /**
   * Wakes that came during a run: `force` (no payload) or the newest payload to check after it, and
   * whether any of them was urgent (the next run then does not wait).
   */
  #again: { force: boolean; payload: string | null; urgent: boolean } | null = null;
  #timer: NodeJS.Timeout | null = null;
  /** Set while a run waits out `settleMs`: ends the wait early. */
  #settling: (() => void) | null = null;

  constructor(private readonly o: WokenLoopOptions) {}

  /** Started and not stopped: runs check it to end early on stop. */
  get active(): boolean {
    return this.#active;
  }

  /** A run is in progress. */
  get busy(): boolean {
    return this.#current !== null;
  }

  async start(): Promise<void> {
    this.#active = true;
    this.o.notifier.on(this.o.channel, this.#notified);
    this.o.notifier.on('reconnect', this.wake);
    await this.o.notifier.listen(this.o.channel);
    this.#timer = setInterval(this.wake, this.o.pollMs);
    this.#timer.unref();
    this.wake();
  }

  /** Stops waking and waits for the run in progress. */
  async stop(): Promise<void> {
    this.#active = false;
    this.o.notifier.off(this.o.channel, this.#notified);
    this.o.notifier.off('reconnect', this.wake);
    if (this.#timer) clearInterval(this.#timer);
    this.#settling?.();
    await this.#current;
  }

  /** Runs now, or once more after the run in progress. */
  wake = (): void => this.#wake(null);

  #notified = (payload: unknown): void =>
    this.#wake(this.o.absorb && typeof payload === 'string' && payload !== '' ? payload : null);

  #wake(payload: string | null, wasUrgent = false): void {
    if (!this.#active) return;
    const urgent = wasUrgent || (payload !== null && (this.o.urgent?.(payload) ?? false));
    if (this.#settling) {
      // The coming run reads everything committed before it starts, this wake's events included.
      if (urgent) this.#settling();
      return;
    }
    if (this.#current) {
      const again = (this.#again ??= { force: false, payload: null, urgent: false });
      if (payload === null) again.force = true;
      else again.payload = payload;
      again.urgent ||= urgent;
      return;
    }
    if (payload !== null && this.o.absorb!(payload)) return;
    const settleMs = urgent ? 0 : (this.o.settleMs ?? 0);
    this.#current = (settleMs > 0 ? this.#settle(settleMs) : Promise.resolve())
      .then(() => (this.#active ? this.o.work() : undefined))
      .catch(this.o.onError)
      .finally(() => {
        this.#current = null;
        this.o.afterRun?.();
        const again = this.#again;
        this.#again = null;
        if (again?.force) this.#wake(null, again.urgent);
        else if (again?.payload) this.#wake(again.payload, again.urgent);
      });
  }

  #settle(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.#settling?.(), ms);
      this.#settling = () => {
        clearTimeout(timer);
        this.#settling = null;
        resolve();
      };
    });
  }
}
