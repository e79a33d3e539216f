import { createDeps, setDeps, type Deps, type SocketFactory } from '../src/deps';
import type { StreamEvent } from '../src/api/types';

type Handler = (...args: unknown[]) => void;

/**
 * A stand-in for a socket.io client socket, at the boundary the stores use: `on`, `emit` (with an
 * acknowledgement), `connect`, `disconnect` and the manager's `io.on`. Tests play the server.
 */
export class FakeSocket {
  handlers = new Map<string, Handler[]>();
  ioHandlers = new Map<string, Handler[]>();
  emitted: { name: string; payload: unknown }[] = [];
  connected = false;
  connects = 0;
  /** Answers `ping` acknowledgements; set by tests that replay. */
  onPing: (() => unknown) | null = null;
  onSubscribe: ((payload: unknown) => void) | null = null;
  io = { on: (name: string, h: Handler) => this.#add(this.ioHandlers, name, h) };

  constructor(readonly opts: Record<string, unknown>) {}

  #add(map: Map<string, Handler[]>, name: string, h: Handler): void {
    map.set(name, [...(map.get(name) ?? []), h]);
  }

  on(name: string, h: Handler): this {
    this.#add(this.handlers, name, h);
    return this;
  }

  emit(name: string, ...args: unknown[]): this {
    const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as Handler) : null;
    this.emitted.push({ name, payload: args[0] });
    if (name === 'subscribe') {
      this.onSubscribe?.(args[0]);
      ack?.({ all: true, threads: [], types: [], cursor: 0 });
    }
    if (name === 'ping' && ack && this.onPing) ack(this.onPing());
    return this;
  }

  /** The handshake auth the client would send now. */
  auth(): Record<string, unknown> {
    const a = this.opts.auth;
    if (typeof a === 'function') {
      let out: Record<string, unknown> = {};
      (a as (cb: (x: Record<string, unknown>) => void) => void)((x) => (out = x));
      return out;
    }
    return (a as Record<string, unknown>) ?? {};
  }

  // Server side -----------------------------------------------------------------------------------
  fire(name: string, ...args: unknown[]): void {
    for (const h of this.handlers.get(name) ?? []) h(...args);
  }

  fireIo(name: string, ...args: unknown[]): void {
    for (const h of this.ioHandlers.get(name) ?? []) h(...args);
  }

  serverConnect(ready: { head: number; cursor: number }): void {
    this.connected = true;
    this.connects++;
    this.fire('connect');
    this.fire('ready', { protocol: 1, ...ready });
  }

  serverEvents(events: StreamEvent[]): void {
    this.fire('events', events);
  }

  drop(reason = 'transport close'): void {
    this.connected = false;
    this.fire('disconnect', reason);
  }

  // Client side -----------------------------------------------------------------------------------
  connect(): this {
    return this;
  }

  disconnect(): this {
    this.connected = false;
    return this;
  }
}

export interface FakeWorld {
  deps: Deps;
  sockets: FakeSocket[];
  /** Calls made through fetch: `METHOD /path?query` and the body. */
  calls: { method: string; url: string; body: unknown }[];
  /** Route handlers: `'GET /api/sessions'` → body (or a function of the call); the status via `[status, body]`. */
  routes: Map<string, unknown>;
  main(): FakeSocket;
}

export function fakeWorld(): FakeWorld {
  const sockets: FakeSocket[] = [];
  const calls: FakeWorld['calls'] = [];
  const routes = new Map<string, unknown>();
  const fetchFake = (async (input: string, init: RequestInit = {}) => {
    const method = (init.method ?? 'GET').toUpperCase();
    const url = String(input);
    const body = init.body ? JSON.parse(String(init.body)) : undefined;
    calls.push({ method, url, body });
    const path = url.split('?')[0];
    let answer = routes.get(`${method} ${url}`) ?? routes.get(`${method} ${path}`);
    if (typeof answer === 'function')
      answer = await (answer as (b: unknown, u: string) => unknown)(body, url);
    // jsdom has no fetch Response: the client reads only ok, status and text().
    const respond = (status: number, payload: unknown) => ({
      ok: status >= 200 && status < 300,
      status,
      text: async () => JSON.stringify(payload),
    });
    if (answer === undefined)
      return respond(404, { error: { code: 'not_found', message: `no route ${method} ${path}` } });
    const [status, payload] = Array.isArray(answer) && typeof answer[0] === 'number' ? answer : [200, answer];
    return respond(status as number, payload);
  }) as unknown as typeof fetch;
  const socket: SocketFactory = (opts) => {
    const s = new FakeSocket(opts as Record<string, unknown>);
    sockets.push(s);
    return s as never;
  };
  const deps = createDeps({ fetch: fetchFake, socket });
  setDeps(deps);
  return { deps, sockets, calls, routes, main: () => sockets[0]! };
}

let seq = 0;
export function ev(
  type: string,
  threadId: string,
  params: Record<string, unknown> = {},
  extra: Partial<StreamEvent> = {},
): StreamEvent {
  seq++;
  return {
    seq: extra.seq ?? seq,
    ts: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
    type,
    threadId,
    turnId: (params.turnId as string | undefined) ?? extra.turnId,
    source: 'runtime-bridge',
    data: type.startsWith('runtime.')
      ? { method: type.slice(8).replace(/\./g, '/'), params: { threadId, ...params } }
      : params,
    ...extra,
  };
}

/** Lets pending promise callbacks run; works with fake timers (no timer involved). */
export async function flush(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}
