import { createPinia, setActivePinia } from 'pinia';
import type { StreamEvent } from '../api/types';
import { ev, fakeWorld, flush, type FakeWorld } from '../../test/fakes';
import { useConnectionStore } from './connection.store';

let world: FakeWorld;
beforeEach(() => {
  jest.useFakeTimers();
  world = fakeWorld();
  setActivePinia(createPinia());
});
afterEach(() => jest.useRealTimers());

const at = (seq: number, type = 'runtime.item.agentMessage.delta', thread = 'a'): StreamEvent =>
  ev(type, thread, { delta: String(seq) }, { seq });

describe('the connection store', () => {
  it('owns one socket, subscribes to every thread on connect and delivers each event once, in order', () => {
    const c = useConnectionStore();
    const got: number[] = [];
    const off = c.subscribe((events) => got.push(...events.map((e) => e.seq)));
    c.connect();
    c.connect();
    expect(world.sockets).toHaveLength(1);
    expect(world.main().opts).toMatchObject({ path: '/api/socket.io', transports: ['websocket'] });
    world.main().serverConnect({ head: 10, cursor: 10 });
    expect(world.main().emitted).toEqual([{ name: 'subscribe', payload: {} }]);
    expect(c.status).toBe('live');
    expect(c.lastSeq).toBe(10);
    world.main().serverEvents([at(11), at(12)]);
    world.main().serverEvents([at(12), at(13)]); // a replayed packet after a reconnect
    world.main().serverEvents([at(9)]);
    expect(got).toEqual([11, 12, 13]);
    off();
    world.main().serverEvents([at(14)]);
    expect(got).toEqual([11, 12, 13]);
    expect(c.lastSeq).toBe(14);
  });

  it('reconnects from the last seq, shows reconnecting then resumed, then goes back to live', () => {
    const c = useConnectionStore();
    c.connect({ resumedMs: 1000 });
    const s = world.main();
    expect(s.auth()).toEqual({});
    s.serverConnect({ head: 5, cursor: 5 });
    s.serverEvents([at(6), at(7)]);
    s.drop();
    expect(c.status).toBe('reconnecting');
    s.fireIo('reconnect_attempt', 2);
    expect(c.attempt).toBe(2);
    expect(s.auth()).toEqual({ after: 7 });
    s.serverConnect({ head: 9, cursor: 7 });
    expect(c.status).toBe('resumed');
    expect(c.resumedFrom).toBe(7);
    expect(s.emitted.filter((e) => e.name === 'subscribe')).toHaveLength(2);
    jest.advanceTimersByTime(1000);
    expect(c.status).toBe('live');
  });

  it('sends the API token in the handshake when one is stored', () => {
    world.deps.token.set('secret-token-0123456789');
    const c = useConnectionStore();
    c.connect();
    expect(world.main().auth()).toEqual({ token: 'secret-token-0123456789' });
    world.deps.token.set(null);
  });

  it('fails with the server’s reason when the handshake is refused, and asks for a token on 401', () => {
    const c = useConnectionStore();
    const asked = jest.fn();
    world.deps.onUnauthorized.add(asked);
    c.connect();
    const err = Object.assign(new Error('unauthorized'), {
      data: { error: { code: 'unauthorized', message: 'missing or wrong bearer token' } },
    });
    world.main().fire('connect_error', err);
    expect(c.status).toBe('failed');
    expect(c.error).toBe('missing or wrong bearer token');
    expect(asked).toHaveBeenCalled();
  });

  it('says failed when socket.io gives up, and retries on demand', () => {
    const c = useConnectionStore();
    c.connect();
    const s = world.main();
    s.serverConnect({ head: 1, cursor: 1 });
    s.drop();
    s.fireIo('reconnect_failed');
    expect(c.status).toBe('failed');
    const connect = jest.spyOn(s, 'connect');
    c.retry();
    expect(connect).toHaveBeenCalled();
    expect(c.status).toBe('reconnecting');
  });

  it('after cursor_expired tells listeners to re-read state and resumes from the head', () => {
    const c = useConnectionStore();
    const reset = jest.fn();
    c.onReset(reset);
    c.connect();
    const s = world.main();
    s.serverConnect({ head: 3, cursor: 3 });
    s.fire('error', { code: 'cursor_expired', resumeFrom: 3, compactedBelow: 50, head: 90 });
    s.fire('disconnect', 'io server disconnect');
    expect(reset).toHaveBeenCalledTimes(1);
    expect(c.lastSeq).toBeNull();
    const connect = jest.spyOn(s, 'connect');
    jest.advanceTimersByTime(500);
    expect(connect).toHaveBeenCalled();
    expect(s.auth()).toEqual({});
  });

  it('replays one thread up to a position over a second socket, from the oldest retained event', async () => {
    const c = useConnectionStore();
    c.connect();
    world.main().serverConnect({ head: 20, cursor: 20 });
    const done = c.replay('a', 20);
    await flush();
    const first = world.sockets[1]!;
    expect(first.opts).toMatchObject({ forceNew: true, reconnection: false });
    expect(first.auth()).toEqual({ after: 0 });
    // The log was compacted below 5: the server says so, the replay starts again there.
    first.fire('connect');
    first.fire('error', { code: 'cursor_expired', resumeFrom: 0, compactedBelow: 5, head: 20 });
    await flush();
    const second = world.sockets[2]!;
    expect(second.auth()).toEqual({ after: 5 });
    let cursor = 12;
    second.onPing = () => ({ cursor, head: 20, ts: '' });
    second.fire('connect');
    expect(second.emitted[0]).toEqual({ name: 'subscribe', payload: { threads: ['a'] } });
    second.serverEvents([at(8), at(12)]);
    cursor = 25;
    second.serverEvents([at(18), at(22)]);
    jest.advanceTimersByTime(200);
    const events = await done;
    expect(events.map((e) => e.seq)).toEqual([8, 12, 18]);
    expect(second.connected).toBe(false);
  });
});
