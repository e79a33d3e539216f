import type { NewEvent } from '@codex-manager/core';
import { MAX_COALESCED_CHARS, coalesceDeltas } from '../src/delta-coalescer';
import { notificationEvent } from '../src/event-mapping';

const delta = (
  itemId: string,
  text: string,
  method = 'item/agentMessage/delta',
  extra: Record<string, unknown> = {},
) => notificationEvent(method, { threadId: 'th', turnId: 'tu', itemId, delta: text, ...extra });
const other = (method: string) => notificationEvent(method, { threadId: 'th', turnId: 'tu' });

/** Expands coalesced events back into (method, item, text) runs for comparison. */
const textsByItem = (events: NewEvent[]) => {
  const m = new Map<string, string>();
  for (const e of events) {
    const p = e.data.params as { itemId?: string; delta?: string; summaryIndex?: number };
    if (typeof p.delta !== 'string') continue;
    const k = `${String(e.data.method)}/${p.itemId}/${p.summaryIndex ?? ''}`;
    m.set(k, (m.get(k) ?? '') + p.delta);
  }
  return m;
};
const count = (events: NewEvent[]) =>
  events.reduce((n, e) => n + ((e.data.coalesced as number | undefined) ?? 1), 0);

describe('coalesceDeltas', () => {
  it('merges a run of deltas of one item into one event with the concatenated text and a count', () => {
    const input = ['Hel', 'lo', ' there'].map((t) => delta('m1', t));
    const out = coalesceDeltas(input);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({
      type: 'runtime.item.agentMessage.delta',
      threadId: 'th',
      turnId: 'tu',
      itemId: 'm1',
      data: {
        method: 'item/agentMessage/delta',
        params: { threadId: 'th', turnId: 'tu', itemId: 'm1', delta: 'Hello there' },
        coalesced: 3,
      },
    });
    // The inputs stay as they were: a failed append retries them.
    expect(input.map((e) => (e.data.params as { delta: string }).delta)).toEqual(['Hel', 'lo', ' there']);
    expect(input.every((e) => !('coalesced' in e.data))).toBe(true);
  });

  it('never merges across another event, another item, index or trace, so the order of the log holds', () => {
    const traced = delta('m1', 'c');
    traced.traceId = 'trace-2';
    const input = [
      delta('m1', 'a'),
      delta('m2', 'x'),
      delta('m1', 'b'),
      other('item/completed'),
      delta('m1', 'c'),
      traced,
      delta('r1', 's0', 'item/reasoning/summaryTextDelta', { summaryIndex: 0 }),
      delta('r1', 's1', 'item/reasoning/summaryTextDelta', { summaryIndex: 1 }),
      delta('r1', 's1b', 'item/reasoning/summaryTextDelta', { summaryIndex: 1 }),
    ];
    const out = coalesceDeltas(input);
    expect(out.map((e) => [e.data.method, (e.data.params as { delta?: string }).delta ?? null])).toEqual([
      ['item/agentMessage/delta', 'a'],
      ['item/agentMessage/delta', 'x'],
      ['item/agentMessage/delta', 'b'],
      ['item/completed', null],
      ['item/agentMessage/delta', 'c'],
      ['item/agentMessage/delta', 'c'],
      ['item/reasoning/summaryTextDelta', 's0'],
      ['item/reasoning/summaryTextDelta', 's1s1b'],
    ]);
  });

  it('leaves other notifications alone: base64 output chunks, server requests, non-string deltas', () => {
    const b64 = [1, 2].map(() =>
      notificationEvent('command/exec/outputDelta', { processId: 'p', deltaBase64: 'aGk=' }),
    );
    const request = delta('m1', 'q');
    request.data = { ...request.data, requestId: 3 };
    const odd = [
      notificationEvent('item/plan/delta', { itemId: 'p', delta: 5 }),
      notificationEvent('item/plan/delta', { itemId: 'p', delta: 6 }),
    ];
    const input = [...b64, request, delta('m1', 'q'), ...odd];
    expect(coalesceDeltas(input)).toEqual(input);
  });

  it('caps the size of one event', () => {
    const piece = 'x'.repeat(1000);
    const n = Math.ceil((3 * MAX_COALESCED_CHARS) / 1000);
    const out = coalesceDeltas(Array.from({ length: n }, () => delta('m1', piece)));
    expect(out.length).toBeGreaterThanOrEqual(3);
    for (const e of out)
      expect((e.data.params as { delta: string }).delta.length).toBeLessThanOrEqual(MAX_COALESCED_CHARS);
    expect(count(out)).toBe(n);
  });

  it('keeps the text of every item and the number of notifications for any interleaving', () => {
    let seed = 42;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const input: NewEvent[] = [];
    for (let i = 0; i < 3000; i++) {
      const r = rand();
      if (r < 0.05) input.push(other('item/started'));
      else if (r < 0.15)
        input.push(
          delta('r', String(i), 'item/reasoning/textDelta', { contentIndex: Math.floor(rand() * 2) }),
        );
      else input.push(delta(rand() < 0.8 ? 'm1' : 'm2', String(i % 10)));
    }
    const out = coalesceDeltas(input);
    expect(out.length).toBeLessThan(input.length);
    expect(count(out)).toBe(input.length);
    expect(textsByItem(out)).toEqual(textsByItem(input));
    // Exact order: both sides reduce to the same sequence of runs (adjacent deltas of one key joined).
    const runs = (es: NewEvent[]) => {
      const r: [string, string][] = [];
      for (const e of es) {
        const p = e.data.params as { itemId?: string; delta?: string; contentIndex?: number };
        const key =
          typeof p.delta === 'string'
            ? `${String(e.data.method)}/${p.itemId}/${p.contentIndex ?? ''}`
            : String(e.data.method);
        const last = r[r.length - 1];
        if (last && last[0] === key && typeof p.delta === 'string') last[1] += p.delta;
        else r.push([key, p.delta ?? '']);
      }
      return r;
    };
    expect(runs(out)).toEqual(runs(input));
  });
});
