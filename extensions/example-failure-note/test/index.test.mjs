// The example extension's own tests: run with `npm run test:extensions` (node's test runner).
// They drive the module exactly as the extension host does: call its default export with an `ext`
// that collects handlers, then hand a handler events and a context whose `actions` records calls.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import register, { noteFor } from '../index.mjs';

function load() {
  const handlers = new Map();
  register({ on: (event, handle) => handlers.set(event, handle) });
  return handlers;
}

function context() {
  const calls = [];
  const actions = {
    upsertTranscriptRow: async (params) => {
      calls.push(params);
      return { action: 'upsertTranscriptRow', outcome: 'ok' };
    },
  };
  return { calls, ctx: { actions, log: { info() {} }, signal: new AbortController().signal } };
}

const completed = (status, error = null) => ({
  seq: 42,
  type: 'runtime.turn.completed',
  threadId: 'thread-1',
  turnId: 'turn-1',
  source: 'runtime-bridge',
  data: { method: 'turn/completed', params: { threadId: 'thread-1', turn: { id: 'turn-1', status, error } } },
});

test('registers one handler, for an event its manifest declares', async () => {
  const handlers = load();
  const manifest = JSON.parse(
    await import('node:fs').then((fs) =>
      fs.readFileSync(new URL('../extension.json', import.meta.url), 'utf8'),
    ),
  );
  assert.deepEqual([...handlers.keys()], ['runtime.turn.completed']);
  assert.ok(manifest.events.includes('runtime.turn.completed'));
  assert.ok(manifest.capabilities.includes('transcript.write'));
});

test('adds a note with advice when a turn fails', async () => {
  const { calls, ctx } = context();
  const error = { message: 'We are busy', codexErrorInfo: 'internalServerError' };
  await load().get('runtime.turn.completed')(completed('failed', error), ctx);
  assert.equal(calls.length, 1);
  assert.equal(calls[0].sessionId, 'thread-1');
  assert.equal(calls[0].rowId, 'failure-note:turn-1');
  assert.match(calls[0].text, /We are busy/);
  assert.match(calls[0].text, /send the request again/);
});

test('does nothing for a completed or interrupted turn', async () => {
  const { calls, ctx } = context();
  const handle = load().get('runtime.turn.completed');
  await handle(completed('completed'), ctx);
  await handle(completed('interrupted'), ctx);
  assert.equal(calls.length, 0);
});

test('is idempotent by turn: the same event twice targets the same row', async () => {
  const { calls, ctx } = context();
  const handle = load().get('runtime.turn.completed');
  await handle(completed('failed', { message: 'x' }), ctx);
  await handle(completed('failed', { message: 'x' }), ctx);
  assert.equal(new Set(calls.map((c) => c.rowId)).size, 1);
});

test('falls back to generic advice for an unknown error kind', () => {
  assert.match(noteFor({ error: { message: 'boom', codexErrorInfo: 'other' } }), /retry or rephrase/);
});
