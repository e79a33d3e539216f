import type { EventEnvelope } from '../../src/api/event-stream';
import { describeEvent, summarize } from '../../src/events/describe';
import { createStyle } from '../../src/output/style';

const ev = (type: string, data: Record<string, unknown>): EventEnvelope => ({
  seq: 42,
  ts: new Date(2026, 0, 2, 3, 4, 5, 6).toISOString(),
  type,
  threadId: '01a218fb-ca47-78d1-b55c-1354ea007498',
  source: 'runtime',
  data,
});

describe('stream lines', () => {
  it('summarise each family by what matters in it', () => {
    expect(summarize(ev('runtime.item.agentMessage.delta', { params: { delta: 'Hello\n' } }))).toBe(
      '"Hello\\n"',
    );
    expect(
      summarize(
        ev('runtime.item.completed', {
          params: { item: { type: 'commandExecution', status: 'failed', command: 'ls', exitCode: 2 } },
        }),
      ),
    ).toBe('commandExecution failed "ls" exit 2');
    expect(
      summarize(
        ev('runtime.turn.completed', { params: { turn: { status: 'failed', error: { message: 'boom' } } } }),
      ),
    ).toBe('failed "boom"');
    expect(
      summarize(
        ev('runtime.thread.status.changed', {
          params: { status: { type: 'active', activeFlags: ['waitingOnApproval'] } },
        }),
      ),
    ).toBe('active waitingOnApproval');
    expect(
      summarize(
        ev('request.resolved', {
          requestId: 'r1',
          kind: 'commandApproval',
          decision: 'accept',
          resolvedBy: { actor: 'bob', source: 'cli' },
        }),
      ),
    ).toBe('commandApproval r1 accept by bob/cli');
    expect(summarize(ev('job.completed', { jobId: 'j1' }))).toBe('{"jobId":"j1"}');
  });

  it('prints seq, local time, type, the thread when several are shown, and fits a terminal width', () => {
    const e = ev('runtime.item.agentMessage.delta', { params: { delta: 'x'.repeat(200) } });
    const plain = createStyle(false);
    expect(describeEvent(e, plain, { showThread: true })).toMatch(
      /^ {4}42 03:04:05\.006 runtime\.item\.agentMessage\.delta 01a218fb "x{77}…"$/,
    );
    const fitted = describeEvent(e, plain, { showThread: false, width: 80 });
    expect(fitted).toHaveLength(80);
    expect(fitted.endsWith('…')).toBe(true);
  });
});
