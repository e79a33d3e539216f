import assert from 'node:assert/strict';
import { test } from 'node:test';
import register, { targetsFor } from '../index.mjs';

function load(targets) {
  const handlers = new Map();
  register({ options: { targets }, on: (event, handle) => handlers.set(event, handle) });
  return handlers;
}

function context() {
  const calls = [];
  const actions = {
    enqueue: async (p) => {
      calls.push(p);
      return { action: 'enqueue', outcome: 'ok' };
    },
  };
  return { calls, ctx: { actions, log: { info() {} }, signal: new AbortController().signal } };
}

const added = (item) => ({ seq: 7, type: 'inbox.added', threadId: item.sessionId, data: { item } });
const approval = { id: 'request:r1', kind: 'approval', sessionId: 's1', title: 'Run: ls', detail: {} };

test('queues one delivery per target that chose the kind, deduped by target and event', async () => {
  const handlers = load([
    { name: 'ops', kinds: ['approval', 'question'] },
    { name: 'pager', kinds: ['failedTurn'] },
    { name: 'all', kinds: ['approval', 'failedTurn'] },
  ]);
  const { calls, ctx } = context();
  await handlers.get('inbox.added')(added(approval), ctx);
  assert.deepEqual(calls, [
    {
      type: 'webhook-delivery',
      payload: { target: 'ops', event: 'inbox.added', seq: 7, item: approval },
      dedupeKey: 'webhook:ops:7',
    },
    {
      type: 'webhook-delivery',
      payload: { target: 'all', event: 'inbox.added', seq: 7, item: approval },
      dedupeKey: 'webhook:all:7',
    },
  ]);
});

test('does nothing without targets, and registers its handler anyway', async () => {
  const handlers = load(undefined);
  const { calls, ctx } = context();
  await handlers.get('inbox.added')(added(approval), ctx);
  assert.equal(calls.length, 0);
});

test('never delivers the failure of a webhook delivery (no loop through a target that is down)', () => {
  const targets = [{ name: 'ops', kinds: ['failedJob'] }];
  const own = { id: 'job:j1', kind: 'failedJob', detail: { jobType: 'webhook-delivery' } };
  const other = { id: 'job:j2', kind: 'failedJob', detail: { jobType: 'instruction' } };
  assert.deepEqual(targetsFor(targets, own), []);
  assert.deepEqual(targetsFor(targets, other), targets);
  assert.deepEqual(targetsFor(targets, null), []);
});
