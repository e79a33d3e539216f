import assert from 'node:assert/strict';
import { test } from 'node:test';
import register from '../index.mjs';

const handlers = new Map();
register({ on: (event, handle) => handlers.set(event, handle) });

function context(settings) {
  const calls = [];
  const actions = {
    readSetting: async ({ scope, key }) => settings[`${scope}/${key}`],
    enqueue: async (p) => {
      calls.push(p);
      return { action: 'enqueue', outcome: 'ok' };
    },
  };
  return { calls, ctx: { actions, log: { info() {} }, signal: new AbortController().signal } };
}
const completed = { seq: 5, threadId: 's1', data: { params: { turn: { id: 't1', status: 'completed' } } } };

test('queues nothing unless suggestions.auto is on', async () => {
  const off = context({});
  await handlers.get('runtime.turn.completed')(completed, off.ctx);
  assert.equal(off.calls.length, 0);
});

test('queues one deduped suggest-request job, the session setting winning over the default', async () => {
  const on = context({ 'default/suggestions.auto': true });
  await handlers.get('runtime.turn.completed')(completed, on.ctx);
  assert.deepEqual(on.calls, [
    {
      type: 'suggest-request',
      payload: { sessionId: 's1', turnId: 't1' },
      dedupeKey: 'suggest-request:s1',
      sessionId: 's1',
    },
  ]);
  const vetoed = context({ 'default/suggestions.auto': true, 'session:s1/suggestions.auto': false });
  await handlers.get('runtime.turn.completed')(completed, vetoed.ctx);
  assert.equal(vetoed.calls.length, 0);
});
