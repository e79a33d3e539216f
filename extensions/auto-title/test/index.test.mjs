import assert from 'node:assert/strict';
import { test } from 'node:test';
import register, { titleFrom } from '../index.mjs';

const handlers = new Map();
register({ on: (event, handle) => handlers.set(event, handle) });

function context(settings = {}, fail = false) {
  const renames = [];
  const actions = {
    readSetting: async ({ key }) => settings[key],
    renameSession: async (p) => {
      renames.push(p);
      if (fail) throw new Error('database unavailable');
      return { action: 'renameSession', outcome: 'ok' };
    },
  };
  return { renames, ctx: { actions, log: { info() {} }, signal: new AbortController().signal } };
}
const userMessage = (threadId, text) => ({
  seq: 1,
  type: 'runtime.item.completed',
  threadId,
  data: { params: { item: { type: 'userMessage', content: [{ type: 'text', text }] } } },
});
const turnCompleted = (threadId, status = 'completed') => ({
  seq: 2,
  type: 'runtime.turn.completed',
  threadId,
  data: { params: { turn: { id: 't', status } } },
});

test('titles from the first line, cut at a word boundary', () => {
  assert.equal(titleFrom('\n  Fix the   login bug\nmore'), 'Fix the login bug');
  const long = titleFrom(
    'Refactor the queue worker so that every job ends in a terminal state even after kill',
  );
  assert.ok(long.length <= 61 && long.endsWith('…'));
});

test('renames an untitled session once its first turn completes, only if still untitled', async () => {
  const { renames, ctx } = context();
  await handlers.get('runtime.item.completed')(userMessage('s1', 'Add a README'), ctx);
  await handlers.get('runtime.turn.completed')(turnCompleted('s1'), ctx);
  assert.deepEqual(renames, [{ sessionId: 's1', title: 'Add a README', ifTitle: null }]);
  await handlers.get('runtime.item.completed')(userMessage('s1', 'Second request'), ctx);
  await handlers.get('runtime.turn.completed')(turnCompleted('s1'), ctx);
  assert.equal(renames.length, 1, 'a session whose rename had an outcome is not asked again');
});

test('a rename that failed is tried again after the next turn', async () => {
  const broken = context({}, true);
  await handlers.get('runtime.item.completed')(userMessage('s3', 'First try'), broken.ctx);
  await assert.rejects(handlers.get('runtime.turn.completed')(turnCompleted('s3'), broken.ctx));
  const { renames, ctx } = context();
  await handlers.get('runtime.item.completed')(userMessage('s3', 'Second try'), ctx);
  await handlers.get('runtime.turn.completed')(turnCompleted('s3'), ctx);
  assert.deepEqual(renames, [{ sessionId: 's3', title: 'Second try', ifTitle: null }]);
});

test('waits for a completed turn and respects autoTitle.enabled = false', async () => {
  const off = context({ 'autoTitle.enabled': false });
  await handlers.get('runtime.item.completed')(userMessage('s2', 'Hello'), off.ctx);
  await handlers.get('runtime.turn.completed')(turnCompleted('s2', 'failed'), off.ctx);
  await handlers.get('runtime.turn.completed')(turnCompleted('s2'), off.ctx);
  assert.equal(off.renames.length, 0);
});
