import type { Notifier } from '@codex-manager/core';

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
}

/**
 * Runs `work` when woken (NOTIFY, reconnect, poll), one run at a time: a wake during a run schedules
 * exactly one more run after it, so no wake is lost and runs never overlap.
 */
export class WokenLoop {
  #active = false;
  #current: Promise<void> | null = null;
  #again = false;
  #timer: NodeJS.Timeout | null = null;

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
    this.o.notifier.on(this.o.channel, this.wake);
    this.o.notifier.on('reconnect', this.wake);
    await this.o.notifier.listen(this.o.channel);
    this.#timer = setInterval(this.wake, this.o.pollMs);
    this.#timer.unref();
    this.wake();
  }

  /** Stops waking and waits for the run in progress. */
  async stop(): Promise<void> {
    this.#active = false;
    this.o.notifier.off(this.o.channel, this.wake);
    this.o.notifier.off('reconnect', this.wake);
    if (this.#timer) clearInterval(this.#timer);
    await this.#current;
  }

  wake = (): void => {
    if (!this.#active) return;
    if (this.#current) {
      this.#again = true;
      return;
    }
    this.#current = this.o
      .work()
      .catch(this.o.onError)
      .finally(() => {
        this.#current = null;
        this.o.afterRun?.();
        if (this.#again) {
          this.#again = false;
          this.wake();
        }
      });
  };
}
