import assert from 'node:assert/strict';
import { test } from 'node:test';
import register, { diffStats, summarize } from '../index.mjs';

const handlers = new Map();
register({ on: (event, handle) => handlers.set(event, handle) });

function context(settings = {}) {
  const calls = [];
  const record = (action) => async (p) => {
    calls.push({ action, ...p });
    return { action, outcome: 'ok' };
  };
  const actions = {
    readSetting: async ({ key }) => settings[key],
    upsertTranscriptRow: record('upsertTranscriptRow'),
    decideApproval: record('decideApproval'),
  };
  return { calls, ctx: { actions, log: { info() {} }, signal: new AbortController().signal } };
}

test('counts added and removed lines of a unified diff, headers excluded', () => {
  assert.deepEqual(diffStats('--- a/x\n+++ b/x\n@@\n-old\n+new\n+more\n'), { additions: 2, deletions: 1 });
  assert.match(summarize(new Map([['a.txt', 'add']]), null).text, /Changed 1 file: a.txt \(add\)/);
});

test("summarizes a turn's file changes in one row keyed by the turn", async () => {
  const { calls, ctx } = context();
  const base = { threadId: 's1', turnId: 't1' };
  await handlers.get('runtime.item.completed')(
    {
      ...base,
      seq: 1,
      data: {
        params: {
          item: {
            type: 'fileChange',
            status: 'completed',
            changes: [{ path: 'p.txt', kind: { type: 'add' } }],
          },
        },
      },
    },
    ctx,
  );
  await handlers.get('runtime.turn.diff.updated')(
    { ...base, seq: 2, data: { params: { diff: '+++ b/p.txt\n+hi\n' } } },
    ctx,
  );
  await handlers.get('runtime.turn.completed')(
    { ...base, seq: 3, data: { params: { turn: { id: 't1' } } } },
    ctx,
  );
  assert.equal(calls.length, 1);
  assert.equal(calls[0].rowId, 'file-changes:t1');
  assert.match(calls[0].text, /p\.txt \(add\) — \+1 −0/);
});

test('decides approvals only as the session setting says', async () => {
  const req = (method) => ({ seq: 9, threadId: 's1', data: { id: 'r1', method } });
  const none = context();
  await handlers.get('request.created')(req('item/commandExecution/requestApproval'), none.ctx);
  assert.equal(none.calls.length, 0);
  const some = context({ 'supervisor.autoApprove': { fileChanges: 'accept' } });
  await handlers.get('request.created')(req('item/commandExecution/requestApproval'), some.ctx);
  await handlers.get('request.created')(req('item/fileChange/requestApproval'), some.ctx);
  assert.deepEqual(some.calls, [{ action: 'decideApproval', requestId: 'r1', decision: 'accept' }]);
});
