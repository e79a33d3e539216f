import { EventLog, Notifier, createLogger, type NewEvent } from '../../core/src';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db';
import { InboxProjector } from '../src/inbox-projector';

// Two projectors on one database (two extension-hosts, or one restarting): every cause is applied
// exactly once, because each batch commits with the cursor it advances.
let db: TestDatabase;
const notifiers: Notifier[] = [];
const projectors: InboxProjector[] = [];
const log = createLogger('test', 'silent');
const REQ = '00000000-0000-4000-8000-0000000000a1';
const JOB = '00000000-0000-4000-8000-0000000000b1';

beforeAll(async () => {
  db = await createTestDatabase('inbox_projector');
  await db.pool.query(`INSERT INTO sessions (id, title) VALUES ('s1', 'First'), ('w1', null)`);
  await db.pool.query(`UPDATE sessions SET system_owned = true WHERE id = 'w1'`);
  await db.pool.query(
    `INSERT INTO server_requests (id, kind, method, session_id, turn_id, params, available_decisions, runtime_generation, rpc_id)
     VALUES ($1, 'commandApproval', 'item/commandExecution/requestApproval', 's1', 't1',
             '{"command": "rm -rf build", "cwd": "/w"}', '["accept","decline"]', 'g1', '1')`,
    [REQ],
  );
});
afterAll(async () => {
  for (const p of projectors) await p.stop();
  for (const n of notifiers) await n.stop();
  await db?.drop();
});

async function startProjector(): Promise<void> {
  const n = new Notifier(db.url);
  await n.start();
  notifiers.push(n);
  const p = new InboxProjector(db.pool, n, { longTurnMs: 60_000, toolCallGraceMs: 500, log });
  await p.start();
  projectors.push(p);
}

const append = (events: Omit<NewEvent, 'source'>[]) =>
  new EventLog(db.pool).append(events.map((e) => ({ ...e, source: 'test' })));
const turnCompleted = (
  threadId: string,
  id: string,
  status: string,
  durationMs: number,
  error?: unknown,
) => ({
  type: 'runtime.turn.completed',
  threadId,
  turnId: id,
  data: { method: 'turn/completed', params: { turn: { id, status, durationMs, error: error ?? null } } },
});

async function settled(): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { rows } = await db.pool.query<{ behind: boolean }>(
      'SELECT (SELECT seq FROM inbox_cursor) < (SELECT seq FROM event_head) AS behind',
    );
    if (!rows[0]!.behind) return;
    if (Date.now() > deadline) throw new Error('the projector did not catch up');
    await new Promise((r) => setTimeout(r, 100));
  }
}
const announced = async (type: string) =>
  (
    await db.pool.query<{ id: string }>(
      `SELECT coalesce(data->'item'->>'id', data->>'id') AS id FROM events WHERE type = $1 ORDER BY seq`,
      [type],
    )
  ).rows.map((r) => r.id);

it('applies each cause once with two projectors running, and removes items when their cause resolves', async () => {
  await startProjector();
  await startProjector();
  await append([
    {
      type: 'request.created',
      threadId: 's1',
      turnId: 't1',
      data: { requestId: REQ, kind: 'commandApproval' },
    },
    turnCompleted('s1', 't2', 'failed', 1000, { message: 'model said no' }),
    turnCompleted('s1', 't3', 'completed', 120_000),
    turnCompleted('s1', 't4', 'completed', 10),
    turnCompleted('w1', 'tw', 'failed', 1000),
    {
      type: 'job.failed',
      data: {
        jobId: JOB,
        jobType: 'instruction',
        status: 'failed',
        attempt: 3,
        error: { code: 'turn_failed' },
      },
    },
    { type: 'job.failed', data: { jobId: JOB, jobType: 'instruction', status: 'retrying' } },
  ]);
  for (let i = 0; i < 20; i++)
    await append([{ type: 'runtime.item.agentMessage.delta', threadId: 's1', data: {} }]);
  await settled();

  const { rows } = await db.pool.query<{ id: string; kind: string; title: string }>(
    'SELECT id, kind, title FROM inbox_items ORDER BY seq',
  );
  expect(rows).toEqual([
    { id: `request:${REQ}`, kind: 'approval', title: 'Run: rm -rf build' },
    { id: 'turn:s1:t2', kind: 'failedTurn', title: 'Turn failed: model said no' },
    { id: 'turn:s1:t3', kind: 'longTurn', title: 'Turn ran 2 min' },
    { id: `job:${JOB}`, kind: 'failedJob', title: 'Job instruction failed: turn_failed' },
  ]);
  expect(await announced('inbox.added')).toEqual(rows.map((r) => r.id));

  await db.pool.query(
    `UPDATE server_requests SET status = 'resolved', decision = 'accept', resolved_actor = 'alice' WHERE id = $1`,
    [REQ],
  );
  await append([
    {
      type: 'request.resolved',
      threadId: 's1',
      data: { requestId: REQ, resolvedBy: { actor: 'alice', source: 'web' } },
    },
    { type: 'job.retried', data: { jobId: JOB, actor: 'bob' } },
    { type: 'session.deleted', threadId: 's1', data: { actor: 'carol' } },
  ]);
  await settled();
  expect((await db.pool.query('SELECT id FROM inbox_items')).rows).toEqual([]);
  const removals = await db.pool.query<{ data: Record<string, unknown> }>(
    `SELECT data FROM events WHERE type = 'inbox.removed' ORDER BY seq`,
  );
  expect(removals.rows.map((r) => [r.data.id, r.data.reason, r.data.actor])).toEqual([
    [`request:${REQ}`, 'resolved', 'alice'],
    [`job:${JOB}`, 'retried', 'bob'],
    ['turn:s1:t2', 'sessionDeleted', 'carol'],
    ['turn:s1:t3', 'sessionDeleted', 'carol'],
  ]);
});

it('skips a request already answered by the time it is read', async () => {
  const id = '00000000-0000-4000-8000-0000000000a2';
  await db.pool.query(
    `INSERT INTO server_requests (id, kind, method, session_id, params, runtime_generation, rpc_id, status, decision)
     VALUES ($1, 'userInput', 'item/tool/requestUserInput', 's1', '{}', 'g1', '2', 'resolved', 'answer')`,
    [id],
  );
  await append([{ type: 'request.created', threadId: 's1', data: { requestId: id, kind: 'userInput' } }]);
  await settled();
  expect((await db.pool.query('SELECT id FROM inbox_items WHERE id = $1', [`request:${id}`])).rowCount).toBe(
    0,
  );
});

it('a tool call enters only once nobody has served it within the grace period', async () => {
  const served = '00000000-0000-4000-8000-0000000000c1';
  const unserved = '00000000-0000-4000-8000-0000000000c2';
  await db.pool.query(`INSERT INTO sessions (id) VALUES ('s2')`);
  for (const [id, rpc] of [
    [served, '3'],
    [unserved, '4'],
  ])
    await db.pool.query(
      `INSERT INTO server_requests (id, kind, method, session_id, params, runtime_generation, rpc_id)
       VALUES ($1, 'toolCall', 'item/tool/call', 's2', '{"tool": "lookup", "arguments": {"q": 1}}', 'g1', $2)`,
      [id, rpc],
    );
  await append([
    { type: 'request.created', threadId: 's2', data: { requestId: served, kind: 'toolCall' } },
    { type: 'request.created', threadId: 's2', data: { requestId: unserved, kind: 'toolCall' } },
  ]);
  await settled();
  expect((await db.pool.query(`SELECT id FROM inbox_items WHERE session_id = 's2'`)).rows).toEqual([]);
  // A program answers the first within the grace period.
  await db.pool.query(`UPDATE server_requests SET status = 'resolved', decision = 'respond' WHERE id = $1`, [
    served,
  ]);
  const deadline = Date.now() + 30_000;
  let rows: { id: string; title: string }[] = [];
  while (rows.length === 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    rows = (await db.pool.query(`SELECT id, title FROM inbox_items WHERE session_id = 's2'`)).rows;
  }
  expect(rows).toEqual([{ id: `request:${unserved}`, title: 'Tool call: lookup' }]);
  const added = await announced('inbox.added');
  expect(added.filter((id) => id === `request:${unserved}`)).toHaveLength(1);
  expect(added).not.toContain(`request:${served}`);
});
