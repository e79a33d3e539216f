import type { SessionDetail, StreamEvent } from '../api/types';
import { activeTurn, applyEvent, emptyTranscript, loadHistory } from './transcript';

const T = 'thread-1';
let seq = 0;
const rt = (method: string, params: Record<string, unknown>): StreamEvent => ({
  seq: ++seq,
  ts: '2026-01-01T00:00:00.000Z',
  type: `runtime.${method.replace(/\//g, '.')}`,
  threadId: T,
  turnId: params.turnId as string | undefined,
  source: 'runtime-bridge',
  data: { method, params: { threadId: T, ...params } },
});

/** The events of a scripted text turn, as the runtime sends them. */
function textTurn(turnId: string, words: string[]): StreamEvent[] {
  const text = words.join('');
  return [
    rt('turn/started', { turnId, turn: { id: turnId, status: 'inProgress' } }),
    rt('item/started', {
      turnId,
      item: { id: `u-${turnId}`, type: 'userMessage', content: [{ type: 'text', text: 'hi' }] },
    }),
    rt('item/completed', {
      turnId,
      item: { id: `u-${turnId}`, type: 'userMessage', content: [{ type: 'text', text: 'hi' }] },
    }),
    rt('item/started', { turnId, item: { id: `r-${turnId}`, type: 'reasoning', summary: [], content: [] } }),
    rt('item/reasoning/summaryPartAdded', { turnId, itemId: `r-${turnId}`, summaryIndex: 0 }),
    rt('item/reasoning/summaryTextDelta', {
      turnId,
      itemId: `r-${turnId}`,
      summaryIndex: 0,
      delta: 'Thinking ',
    }),
    rt('item/reasoning/summaryTextDelta', { turnId, itemId: `r-${turnId}`, summaryIndex: 0, delta: 'hard' }),
    rt('item/completed', {
      turnId,
      item: { id: `r-${turnId}`, type: 'reasoning', summary: ['Thinking hard'], content: [] },
    }),
    rt('item/started', { turnId, item: { id: `a-${turnId}`, type: 'agentMessage', text: '' } }),
    ...words.map((delta) => rt('item/agentMessage/delta', { turnId, itemId: `a-${turnId}`, delta })),
    rt('item/completed', { turnId, item: { id: `a-${turnId}`, type: 'agentMessage', text } }),
    rt('turn/completed', { turnId, turn: { id: turnId, status: 'completed', error: null } }),
  ];
}

describe('the chat transcript model', () => {
  it('streams an agent message delta by delta and ends with the final text', () => {
    const t = emptyTranscript();
    const events = textTurn('t1', ['Hello', ' from', ' the', ' model.']);
    const upToDeltas = events.findIndex((e) => e.type === 'runtime.item.agentMessage.delta') + 2;
    for (const e of events.slice(0, upToDeltas)) applyEvent(t, e);
    expect(t.items['a-t1']).toMatchObject({ text: 'Hello from', done: false });
    expect(activeTurn(t)?.id).toBe('t1');
    for (const e of events.slice(upToDeltas)) applyEvent(t, e);
    expect(t.items['a-t1']).toMatchObject({ text: 'Hello from the model.', done: true });
    expect(t.items['r-t1']!.summary).toEqual(['Thinking hard']);
    expect(t.turns.t1).toMatchObject({ status: 'completed', itemIds: ['u-t1', 'r-t1', 'a-t1'] });
    expect(activeTurn(t)).toBeNull();
  });

  it('applies the same events twice without duplicating any text (history and replay overlap)', () => {
    const t = emptyTranscript();
    const events = textTurn('t1', ['a', 'b', 'c']);
    for (const e of events) applyEvent(t, e);
    for (const e of events) applyEvent(t, e);
    expect(t.items['a-t1']!.text).toBe('abc');
    expect(t.turns.t1!.itemIds).toEqual(['u-t1', 'r-t1', 'a-t1']);
  });

  it('ignores deltas and item/started for an item that history already has complete', () => {
    const t = emptyTranscript();
    const detail: SessionDetail = {
      session: { id: T, title: null, cwd: '/w', model: null, status: 'idle', createdAt: '', updatedAt: '' },
      turns: [{ id: 't1', status: 'completed', error: null, startedAt: '', completedAt: '' }],
      transcript: {
        complete: true,
        entries: [
          {
            turnId: 't1',
            source: 'runtime',
            item: { id: 'u-t1', type: 'userMessage', content: [{ type: 'text', text: 'hi' }] },
          },
          { turnId: 't1', source: 'runtime', item: { id: 'a-t1', type: 'agentMessage', text: 'abc' } },
        ],
      },
    };
    loadHistory(t, detail);
    for (const e of textTurn('t1', ['a', 'b', 'c'])) applyEvent(t, e);
    expect(t.items['a-t1']!.text).toBe('abc');
    expect(t.items['u-t1']!.text).toBe('hi');
  });

  it('leaves out the items of running turns, so replayed events rebuild them whole', () => {
    const t = emptyTranscript();
    loadHistory(
      t,
      {
        session: {
          id: T,
          title: null,
          cwd: null,
          model: null,
          status: 'active',
          createdAt: '',
          updatedAt: '',
        },
        turns: [{ id: 't2', status: 'inProgress', error: null, startedAt: '', completedAt: null }],
        transcript: {
          complete: true,
          entries: [
            { turnId: 't2', source: 'runtime', item: { id: 'a-t2', type: 'agentMessage', text: 'partial' } },
          ],
        },
      },
      ['t2'],
    );
    expect(t.items['a-t2']).toBeUndefined();
    const events = textTurn('t2', ['tick0 ', 'tick1 ']).slice(0, -2); // still streaming
    for (const e of events) applyEvent(t, e);
    expect(t.items['a-t2']!.text).toBe('tick0 tick1 ');
    expect(t.turns.t2!.status).toBe('inProgress');
  });

  it('marks an interrupted turn and stops its partial message from streaming', () => {
    const t = emptyTranscript();
    for (const e of textTurn('t1', ['x', 'y']).slice(0, -2)) applyEvent(t, e);
    applyEvent(
      t,
      rt('turn/completed', { turnId: 't1', turn: { id: 't1', status: 'interrupted', error: null } }),
    );
    expect(t.turns.t1!.status).toBe('interrupted');
    expect(t.items['a-t1']).toMatchObject({ text: 'xy', done: true });
    // A late delta (there is none in practice) changes nothing.
    applyEvent(t, rt('item/agentMessage/delta', { turnId: 't1', itemId: 'a-t1', delta: 'z' }));
    expect(t.items['a-t1']!.text).toBe('xy');
  });

  it('keeps command output, plan updates, diffs, token usage and turn errors', () => {
    const t = emptyTranscript();
    const cmd = { id: 'c1', type: 'commandExecution', command: 'echo hi', cwd: '/w', status: 'inProgress' };
    applyEvent(t, rt('item/started', { turnId: 't1', item: cmd }));
    applyEvent(t, rt('item/commandExecution/outputDelta', { turnId: 't1', itemId: 'c1', delta: 'hi\n' }));
    expect(t.items.c1!.output).toBe('hi\n');
    applyEvent(
      t,
      rt('item/completed', {
        turnId: 't1',
        item: { ...cmd, status: 'completed', exitCode: 0, aggregatedOutput: null },
      }),
    );
    expect(t.items.c1).toMatchObject({ done: true, output: 'hi\n' });
    applyEvent(
      t,
      rt('turn/plan/updated', {
        turnId: 't1',
        explanation: 'why',
        plan: [{ step: 'one', status: 'completed' }],
      }),
    );
    expect(t.turns.t1!.plan).toEqual({ explanation: 'why', steps: [{ step: 'one', status: 'completed' }] });
    applyEvent(t, rt('turn/diff/updated', { turnId: 't1', diff: '+a' }));
    expect(t.turns.t1!.diff).toBe('+a');
    const usage = {
      total: {
        totalTokens: 10,
        inputTokens: 7,
        cachedInputTokens: 0,
        outputTokens: 3,
        reasoningOutputTokens: 0,
      },
    };
    applyEvent(t, rt('thread/tokenUsage/updated', { turnId: 't1', tokenUsage: usage }));
    expect(t.tokenUsage).toEqual(usage);
    applyEvent(t, rt('error', { turnId: 't1', error: { message: 'boom' }, willRetry: false }));
    applyEvent(
      t,
      rt('turn/completed', {
        turnId: 't1',
        turn: { id: 't1', status: 'failed', error: { message: 'boom' } },
      }),
    );
    expect(t.turns.t1).toMatchObject({ status: 'failed', error: 'boom' });
  });

  it('shows supplemental transcript rows and removes them when deleted', () => {
    const t = emptyTranscript();
    for (const e of textTurn('t1', ['ok'])) applyEvent(t, e);
    const row = (data: Record<string, unknown>): StreamEvent => ({
      seq: ++seq,
      ts: '',
      type: 'transcript.updated',
      threadId: T,
      source: 'gateway',
      data,
    });
    applyEvent(
      t,
      row({
        rowId: 'n1',
        action: 'created',
        row: { id: 'n1', kind: 'suggestion', content: 'Try tests', turnId: 't1' },
      }),
    );
    expect(t.turns.t1!.itemIds).toContain('row:n1');
    expect(t.items['row:n1']).toMatchObject({ text: 'Try tests', supplemental: true, type: 'suggestion' });
    applyEvent(t, row({ rowId: 'n1', action: 'deleted' }));
    expect(t.items['row:n1']).toBeUndefined();
    expect(t.turns.t1!.itemIds).not.toContain('row:n1');
  });

  it('shows the text of a row written through the action API ({text, data}), not its JSON', () => {
    const t = emptyTranscript();
    applyEvent(t, {
      seq: ++seq,
      ts: '',
      type: 'transcript.updated',
      threadId: T,
      source: 'queue-worker',
      data: {
        rowId: 's1',
        action: 'created',
        row: { id: 's1', kind: 'suggestion', content: { text: 'Run the tests', data: { jobId: 'j' } } },
      },
    });
    expect(t.items['row:s1']).toMatchObject({ text: 'Run the tests', type: 'suggestion' });
  });
});
