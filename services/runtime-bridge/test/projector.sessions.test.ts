import { projectEvents } from '../src/projector';
import { notificationEvent } from '../src/event-mapping';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db';

// A batch's changes to a session row are merged into one UPDATE; the row ends as if each
// notification had been applied in turn. Real statements against a real database.
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('projector_sessions');
});
afterAll(async () => {
  await db.drop();
});

const th = 'th-merge';
const ev = (method: string, params: Record<string, unknown>) =>
  notificationEvent(method, { threadId: th, ...params });
const userMessage = (text: string) =>
  ev('item/completed', {
    turnId: 't1',
    item: { type: 'userMessage', id: 'u', content: [{ type: 'text', text }] },
  });

async function apply(events: ReturnType<typeof ev>[]) {
  const writes = projectEvents(events);
  const client = await db.pool.connect();
  try {
    await client.query('BEGIN');
    for (const w of writes) await client.query(w);
    await client.query('COMMIT');
  } finally {
    client.release();
  }
  return writes;
}

const row = async () =>
  (
    await db.pool.query<{ status: string; preview: string | null; token_usage: unknown; updated_at: Date }>(
      'SELECT status, preview, token_usage, updated_at FROM sessions WHERE id = $1',
      [th],
    )
  ).rows[0]!;

test('one UPDATE per session and batch, with the same end state as one per notification', async () => {
  await db.pool.query(
    `INSERT INTO sessions (id, status, updated_at) VALUES ($1, 'idle', now() - interval '1 hour')`,
    [th],
  );
  const before = await row();
  const writes = await apply([
    ev('turn/started', { turn: { id: 't1', status: 'inProgress' } }),
    ev('thread/status/changed', { status: { type: 'active' } }),
    userMessage('First request'),
    ev('thread/tokenUsage/updated', { turnId: 't1', tokenUsage: { total: { totalTokens: 5 } } }),
    ev('thread/tokenUsage/updated', { turnId: 't1', tokenUsage: { total: { totalTokens: 9 } } }),
  ]);
  expect(writes.filter((w) => /UPDATE sessions/.test(w.text))).toHaveLength(1);
  const after = await row();
  expect(after.status).toBe('active');
  expect(after.preview).toBe('First request');
  expect(after.token_usage).toEqual({ total: { totalTokens: 9 } });
  expect(after.updated_at.getTime()).toBeGreaterThan(before.updated_at.getTime());
  const { rows: turns } = await db.pool.query('SELECT status, usage FROM turns WHERE session_id = $1', [th]);
  expect(turns).toEqual([{ status: 'inProgress', usage: { total: { totalTokens: 9 } } }]);
});

test('a later batch keeps the first preview and leaves what it does not name', async () => {
  const before = await row();
  await apply([userMessage('Second request'), ev('thread/status/changed', { status: { type: 'idle' } })]);
  const after = await row();
  expect(after).toEqual({ ...before, status: 'idle' }); // no turn activity: updated_at stays
});
