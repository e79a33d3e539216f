import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { Socket } from 'socket.io-client';
import type { StreamEvent } from '../api/types';
import { deps } from '../deps';

export const SOCKET_PATH = '/api/socket.io';

/**
 * `connecting` before the first connection; `live` while connected; `reconnecting` after a drop
 * (socket.io retries with backoff, resuming from the last seq); `resumed` for a few seconds after a
 * reconnect, to say nothing was missed; `failed` when retries ran out or the gateway refused us.
 */
export type ConnectionStatus = 'idle' | 'connecting' | 'live' | 'reconnecting' | 'resumed' | 'failed';

/** The `error` frame the stream sends before it ends a connection or refuses a command. */
interface ErrorFrame {
  code: string;
  message?: string;
  resumeFrom?: number;
  compactedBelow?: number;
  head?: number;
}

type Listener = (events: StreamEvent[]) => void;

export interface ConnectionOptions {
  /** How long the `resumed` banner stays before the state returns to `live`. */
  resumedMs?: number;
  reconnectionAttempts?: number;
}

/**
 * The one owner of the socket.io stream. Everyone else calls `subscribe(listener)` (which returns its
 * unsubscribe) and gets every event once, in seq order: the store remembers the last seq it
 * delivered, hands it to the handshake on every reconnect (`auth.after`), and drops anything at or
 * below it (socket.io-client replays packets a dying connection still received). When the server
 * says the cursor is older than the retained log (`cursor_expired`), the store tells `onReset`
 * listeners to re-read state over REST and continues from the head.
 */
export const useConnectionStore = defineStore('connection', () => {
  const status = ref<ConnectionStatus>('idle');
  const lastSeq = ref<number | null>(null);
  const head = ref(0);
  const attempt = ref(0);
  const error = ref<string | null>(null);
  /** Seq the last reconnect resumed from (shown in the banner). */
  const resumedFrom = ref<number | null>(null);
  const listeners = new Set<Listener>();
  const resetListeners = new Set<() => void>();
  const readyWaiters: (() => void)[] = [];
  let socket: Socket | null = null;
  let everConnected = false;
  let resumedTimer: ReturnType<typeof setTimeout> | null = null;
  let opts: Required<ConnectionOptions> = { resumedMs: 4000, reconnectionAttempts: 10 };

  const connected = computed(() => status.value === 'live' || status.value === 'resumed');

  function tokenAuth(extra: Record<string, unknown> = {}): Record<string, unknown> {
    const token = deps().token.get();
    return token ? { token, ...extra } : extra;
  }

  function connect(options: ConnectionOptions = {}): void {
    if (socket) return;
    opts = { ...opts, ...options };
    status.value = 'connecting';
    const s = deps().socket({
      path: SOCKET_PATH,
      transports: ['websocket'],
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
      reconnectionAttempts: opts.reconnectionAttempts,
      auth: (cb: (auth: object) => void) =>
        cb(tokenAuth(lastSeq.value === null ? {} : { after: lastSeq.value })),
    });
    socket = s;
    s.on('connect', () => {
      attempt.value = 0;
      error.value = null;
      s.emit('subscribe', {});
      if (everConnected) {
        status.value = 'resumed';
        resumedFrom.value = lastSeq.value;
        if (resumedTimer) clearTimeout(resumedTimer);
        resumedTimer = setTimeout(() => {
          if (status.value === 'resumed') status.value = 'live';
        }, opts.resumedMs);
      } else {
        status.value = 'live';
      }
      everConnected = true;
    });
    s.on('ready', (f: { head: number; cursor: number }) => {
      head.value = f.head;
      if (lastSeq.value === null) lastSeq.value = f.cursor;
      readyWaiters.splice(0).forEach((w) => w());
    });
    s.on('events', (batch: StreamEvent[]) => deliver(batch));
    s.on('error', (f: ErrorFrame) => onErrorFrame(f));
    s.on('disconnect', (reason: string) => {
      if (reason === 'io client disconnect') return;
      status.value = 'reconnecting';
      // The server ended the stream on purpose (after an error frame): socket.io does not retry by
      // itself then, so resume here (from lastSeq, or from the head after cursor_expired).
      if (reason === 'io server disconnect') setTimeout(() => socket === s && s.connect(), 200);
    });
    s.on('connect_error', (err: Error & { data?: { error?: { code?: string; message?: string } } }) => {
      const refused = err.data?.error;
      if (refused) {
        status.value = 'failed';
        error.value = refused.message ?? refused.code ?? err.message;
        if (refused.code === 'unauthorized') deps().onUnauthorized.forEach((f) => f());
        return;
      }
      status.value = everConnected ? 'reconnecting' : 'connecting';
      error.value = err.message;
    });
    s.io.on('reconnect_attempt', (n: number) => {
      attempt.value = n;
    });
    s.io.on('reconnect_failed', () => {
      status.value = 'failed';
      error.value = 'The gateway cannot be reached.';
    });
  }

  function deliver(batch: StreamEvent[]): void {
    const after = lastSeq.value ?? -1;
    const fresh = batch.filter((e) => e.seq > after);
    if (fresh.length === 0) return;
    lastSeq.value = fresh[fresh.length - 1]!.seq;
    if (lastSeq.value > head.value) head.value = lastSeq.value;
    for (const l of listeners) l(fresh);
  }

  function onErrorFrame(f: ErrorFrame): void {
    if (f.code === 'cursor_expired') {
      // Our cursor fell out of the retained log: state must be re-read; the stream continues at head.
      lastSeq.value = null;
      resetListeners.forEach((r) => r());
      return;
    }
    if (f.code === 'invalid_request') {
      error.value = f.message ?? 'the stream refused a command';
      return;
    }
    if (typeof f.resumeFrom === 'number' && lastSeq.value !== null)
      lastSeq.value = Math.min(lastSeq.value, f.resumeFrom);
  }

  /** Try again now (the banner's Retry button), after a failure or while backing off. */
  function retry(): void {
    if (!socket) return connect();
    attempt.value = 0;
    error.value = null;
    status.value = everConnected ? 'reconnecting' : 'connecting';
    socket.disconnect();
    socket.connect();
  }

  function disconnect(): void {
    socket?.disconnect();
    socket = null;
    status.value = 'idle';
    if (resumedTimer) clearTimeout(resumedTimer);
  }

  function subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  function onReset(listener: () => void): () => void {
    resetListeners.add(listener);
    return () => resetListeners.delete(listener);
  }

  /** Resolves with the stream position once the socket has said `ready` (at once if it has). */
  async function position(): Promise<number> {
    if (lastSeq.value === null) await new Promise<void>((r) => readyWaiters.push(r));
    return lastSeq.value ?? 0;
  }

  /**
   * One thread's retained events up to `until` (inclusive), over a second, short-lived socket: how a
   * chat opened mid-turn (a reload, another tab) gets the part of the reply streamed before this page
   * was connected. Starts at the oldest retained event; the pong's cursor says when it has caught up.
   */
  async function replay(threadId: string, until: number): Promise<StreamEvent[]> {
    const events: StreamEvent[] = [];
    let after = 0;
    for (let round = 0; round < 5; round++) {
      const r = await replayOnce(threadId, after, until, events);
      if (r.done) return events;
      after = r.after;
    }
    throw new Error('the stream could not replay this chat');
  }

  function replayOnce(
    threadId: string,
    after: number,
    until: number,
    into: StreamEvent[],
  ): Promise<{ done: true } | { done: false; after: number }> {
    return new Promise((resolve, reject) => {
      let finished = false;
      let timer: ReturnType<typeof setInterval> | null = null;
      const s = deps().socket({
        path: SOCKET_PATH,
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
        auth: tokenAuth({ after }),
      });
      const finish = (fn: () => void) => {
        if (finished) return;
        finished = true;
        if (timer) clearInterval(timer);
        s.disconnect();
        fn();
      };
      const check = () =>
        s.emit('ping', {}, (pong: { cursor: number }) => {
          if (pong.cursor >= until) finish(() => resolve({ done: true }));
        });
      s.on('connect', () => {
        s.emit('subscribe', { threads: [threadId] }, check);
        // Catch-up is paced by the server; ask again until it has passed `until`.
        timer = setInterval(check, 150);
      });
      s.on('events', (batch: StreamEvent[]) => {
        const last = into.length ? into[into.length - 1]!.seq : after;
        for (const e of batch) if (e.seq > last && e.seq <= until) into.push(e);
      });
      s.on('error', (f: ErrorFrame) => {
        if (f.code === 'cursor_expired') finish(() => resolve({ done: false, after: f.compactedBelow ?? 0 }));
        else if (typeof f.resumeFrom === 'number') {
          const resumeFrom = f.resumeFrom;
          finish(() =>
            resolve({ done: false, after: into.length ? into[into.length - 1]!.seq : resumeFrom }),
          );
        }
      });
      s.on('connect_error', (err: Error) => finish(() => reject(err)));
      s.on('disconnect', () =>
        finish(() => resolve({ done: false, after: into.length ? into[into.length - 1]!.seq : after })),
      );
    });
  }

  return {
    status,
    connected,
    lastSeq,
    head,
    attempt,
    error,
    resumedFrom,
    connect,
    retry,
    disconnect,
    subscribe,
    onReset,
    position,
    replay,
  };
});
