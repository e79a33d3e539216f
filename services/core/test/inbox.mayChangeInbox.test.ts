import { mayChangeInbox, type EventEnvelope } from '../src';

const opts = { longTurnMs: 60_000 };
const ev = (type: string, data: Record<string, unknown> = {}): EventEnvelope => ({
  seq: 1,
  ts: '2026-11-27T00:00:00.000Z',
  type,
  source: 'test',
  threadId: 's1',
  data,
});
const turnEnd = (status: string, durationMs: number | null) =>
  ev('runtime.turn.completed', {
    method: 'turn/completed',
    params: { turn: { id: 't1', status, durationMs } },
  });

describe('mayChangeInbox', () => {
  it('passes by the end of a turn that went well, and nothing else of the causes', () => {
    expect(mayChangeInbox(turnEnd('completed', 1200), opts)).toBe(false);
    expect(mayChangeInbox(turnEnd('interrupted', 90_000), opts)).toBe(false);
    expect(mayChangeInbox(turnEnd('completed', null), opts)).toBe(false);
    expect(mayChangeInbox(turnEnd('failed', 10), opts)).toBe(true);
    expect(mayChangeInbox(turnEnd('completed', 60_001), opts)).toBe(true);
    for (const t of [
      'request.created',
      'request.resolved',
      'request.expired',
      'job.failed',
      'job.retried',
      'session.deleted',
    ])
      expect(mayChangeInbox(ev(t), opts)).toBe(true);
    expect(mayChangeInbox(ev('runtime.item.completed'), opts)).toBe(false);
  });
});
