import { io, type Socket } from 'socket.io-client';
import type { EventEnvelope } from '../../services/core/src';

export interface SocketClientOptions {
  token?: string;
  /** Initial cursor; after that the client resumes from the last seq it received. */
  after?: number;
  /** Sent on every (re)connect; omit to stay unsubscribed. */
  subscribe?: { threads?: string[]; types?: string[] };
  /** Reconnect by itself after the server ends the stream (slow_consumer, shutdown) too. */
  resumeAfterEnd?: boolean;
  headers?: Record<string, string>;
}

export interface Frame {
  name: string;
  data: unknown;
}

/**
 * A socket.io stream client the way an application would write one: it remembers the last seq it
 * received and hands it to the handshake (`auth.after`) on every reconnect, then re-subscribes.
 * Test hooks: force a disconnect, stop reading from the TCP socket.
 */
export class SocketStreamClient {
  readonly socket: Socket;
  events: EventEnvelope[] = [];
  frames: Frame[] = [];
  connects = 0;
  lastSeq: number | undefined;
  /** Events of a dropped connection that socket.io-client replayed on reconnect (ignored, see below). */
  staleDropped = 0;
  #reconnecting = false;
  #waiters: (() => void)[] = [];

  constructor(
    url: string,
    readonly opts: SocketClientOptions = {},
  ) {
    this.lastSeq = opts.after;
    this.socket = io(url, {
      path: '/api/socket.io',
      transports: ['websocket'],
      forceNew: true,
      reconnectionDelay: 100,
      reconnectionDelayMax: 1000,
      extraHeaders: opts.headers ?? {},
      auth: (cb) => {
        const auth: Record<string, unknown> = {};
        if (opts.token) auth.token = opts.token;
        if (this.lastSeq !== undefined) auth.after = this.lastSeq;
        cb(auth);
      },
    });
    this.socket.on('connect', () => {
      this.connects++;
      this.#reconnecting = false;
      if (opts.subscribe) this.socket.emit('subscribe', opts.subscribe);
    });
    this.socket.on('events', (batch: EventEnvelope[]) => {
      // socket.io-client buffers packets that a dying connection still delivered and emits them when
      // the next connection opens (before 'connect'); the handshake already resumed from lastSeq, so
      // the server sends them again. An application drops them the same way (or by seq).
      if (this.#reconnecting) {
        this.staleDropped += batch.length;
        return;
      }
      this.events.push(...batch);
      this.lastSeq = batch[batch.length - 1]!.seq;
      this.#wake();
    });
    this.socket.onAny((name: string, data: unknown) => {
      if (name === 'events') return;
      this.frames.push({ name, data });
      if (name === 'ready' && this.lastSeq === undefined) this.lastSeq = (data as { cursor: number }).cursor;
      this.#wake();
    });
    this.socket.on('connect_error', (err) => {
      this.frames.push({
        name: 'connect_error',
        data: { message: err.message, data: (err as { data?: unknown }).data },
      });
      this.#wake();
    });
    this.socket.on('disconnect', (reason) => {
      this.frames.push({ name: 'disconnect', data: reason });
      this.#reconnecting = true;
      if (reason === 'io server disconnect' && opts.resumeAfterEnd) this.socket.connect();
      this.#wake();
    });
  }

  framesNamed(name: string): unknown[] {
    return this.frames.filter((f) => f.name === name).map((f) => f.data);
  }

  /** Emits a command and resolves with its acknowledgement. */
  command<T = unknown>(name: string, payload?: unknown): Promise<T> {
    return new Promise((resolve) =>
      payload === undefined ? this.socket.emit(name, resolve) : this.socket.emit(name, payload, resolve),
    );
  }

  async waitFor(pred: (c: this) => boolean, timeoutMs = 30_000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred(this)) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `timed out waiting for ${what}; got ${this.events.length} events, frames ${JSON.stringify(this.frames).slice(0, 2000)}`,
        );
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 250));
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Drops the connection as a network fault would; the client reconnects and resumes by itself. */
  dropConnection(): void {
    (this.socket.io as unknown as { engine: { close(): void } }).engine.close();
  }

  #tcp(): { pause(): void; resume(): void } {
    const engine = (this.socket.io as unknown as { engine: { transport: { ws: { _socket: never } } } })
      .engine;
    return engine.transport.ws._socket;
  }

  /** Stops reading from the TCP socket: the server's writes pile up as they would for a stalled client. */
  pauseReading(): void {
    this.#tcp().pause();
  }

  resumeReading(): void {
    this.#tcp().resume();
  }

  close(): void {
    this.socket.disconnect();
  }

  #wake(): void {
    this.#waiters.splice(0).forEach((w) => w());
  }
}
