import { CliError, coerceError, ExitCode } from '../errors';
import type { ApiClient } from './client';
import { readFrames } from './sse';

/** The stream's event envelope (docs/api.md). */
export interface EventEnvelope {
  seq: number;
  ts: string;
  type: string;
  threadId?: string;
  turnId?: string;
  itemId?: string;
  source: string;
  data: Record<string, unknown>;
  traceId?: string;
}

export interface StreamOptions {
  threads?: string[];
  types?: string[];
  /** Resume after this seq; unset: start at the current head (live only). */
  after?: number;
  /** Reconnect (resuming from the last seq) when the connection drops or the server closes it. */
  reconnect: boolean;
  signal: AbortSignal;
  /** Progress notes for the user: drops, resumes. */
  onNotice?(message: string): void;
  /** The `ready` frame of each connection. */
  onReady?(ready: { head: number; cursor: number }): void;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/**
 * `GET /api/stream` as an async sequence of events that survives drops: each reconnect resumes from
 * the last seq delivered, and seqs already delivered are skipped, so the consumer sees every event
 * once, in order. `cursor` is the last seq delivered (what a user passes to `--after` to resume).
 */
export class EventStream {
  cursor: number | undefined;
  readonly #client: ApiClient;
  readonly #opts: StreamOptions;

  constructor(client: ApiClient, opts: StreamOptions) {
    this.#client = client;
    this.#opts = opts;
    this.cursor = opts.after;
  }

  async *events(): AsyncGenerator<EventEnvelope> {
    const { signal } = this.#opts;
    let attempt = 0;
    while (!signal.aborted) {
      let reason = 'the server closed the stream';
      try {
        const res = await this.#client.openStream('/api/stream', this.#query(), {}, signal);
        attempt = 0;
        for await (const f of readFrames(res.body as unknown as AsyncIterable<Uint8Array>)) {
          if (f.event === 'ready') {
            const ready = JSON.parse(f.data) as { head: number; cursor: number };
            this.cursor ??= ready.cursor;
            this.#opts.onReady?.(ready);
          } else if (f.event === 'error') {
            const e = JSON.parse(f.data) as { code?: string };
            reason = `the server closed the stream (${e.code ?? 'error'})`;
          } else if (f.event === undefined) {
            const ev = JSON.parse(f.data) as EventEnvelope;
            if (this.cursor !== undefined && ev.seq <= this.cursor) continue;
            this.cursor = ev.seq;
            yield ev;
          }
        }
      } catch (e) {
        if (signal.aborted) return;
        const err = coerceError(e, { url: this.#client.baseUrl });
        // Only transport trouble is worth retrying; a 400/401 will not heal by itself.
        if (!this.#opts.reconnect || err.exitCode !== ExitCode.unavailable) throw err;
        reason = err.message;
      }
      if (signal.aborted) return;
      if (!this.#opts.reconnect)
        throw new CliError('stream_closed', reason, {
          exitCode: ExitCode.unavailable,
          suggestion: this.cursor !== undefined ? `resume with --after ${this.cursor}` : undefined,
        });
      const wait = Math.min(5000, 250 * 2 ** attempt++);
      this.#opts.onNotice?.(
        `${reason}; reconnecting in ${(wait / 1000).toFixed(1)} s from seq ${this.cursor ?? 'head'}`,
      );
      await sleep(wait, signal);
    }
  }

  #query(): [string, string][] {
    const q: [string, string][] = [];
    if (this.#opts.threads?.length) q.push(['threads', this.#opts.threads.join(',')]);
    if (this.#opts.types?.length) q.push(['types', this.#opts.types.join(',')]);
    if (this.cursor !== undefined) q.push(['after', String(this.cursor)]);
    return q;
  }
}
