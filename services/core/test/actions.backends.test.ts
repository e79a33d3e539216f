import { CommandBus, Notifier, sqlActionBackends } from '../src';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db';

// The action API's stores against a real database: the same tables, audit trail and events the
// API writes, with the extension as the actor and the acting service as the source.
let db: TestDatabase;
let notifier: Notifier;
let backends: ReturnType<typeof sqlActionBackends>;
let locked: ReturnType<typeof sqlActionBackends>;
const BY = { actor: 'extension:tester', source: 'extension-host' };

beforeAll(async () => {
  db = await createTestDatabase('action_backends');
  notifier = new Notifier(db.url);
  const bus = new CommandBus(db.pool, notifier);
  backends = sqlActionBackends(db.pool, bus, { commandTimeoutMs: 2000, lockDefaults: false });
  locked = sqlActionBackends(db.pool, bus, { commandTimeoutMs: 2000, lockDefaults: true });
  await db.pool.query(`INSERT INTO sessions (id) VALUES ('s1')`);
});
afterAll(async () => {
  await notifier?.stop();
  await db?.drop();
});

const eventsOf = async (type: string) =>
  (
    await db.pool.query<{ source: string; thread_id: string | null; data: Record<string, unknown> }>(
      'SELECT source, thread_id, data FROM events WHERE type = $1 ORDER BY seq',
      [type],
    )
  ).rows;

describe('settings', () => {
  it('writes a session setting with an audit entry and an event, and reads it back', async () => {
    expect(await backends.settings.write('session:s1', 'suggestions.auto', true, BY)).toEqual({
      outcome: 'ok',
    });
    expect(await backends.settings.read('session:s1', 'suggestions.auto')).toBe(true);
    const audit = await db.pool.query('SELECT scope, session_id, changes, actor, source FROM settings_audit');
    expect(audit.rows).toEqual([
      {
        scope: 'session',
        session_id: 's1',
        changes: [{ key: 'suggestions.auto', before: null, after: true }],
        actor: 'extension:tester',
        source: 'extension-host',
      },
    ]);
    const [event] = await eventsOf('settings.updated');
    expect(event).toMatchObject({ source: 'extension-host', thread_id: 's1' });
    expect(event!.data).toMatchObject({ keys: ['suggestions.auto'], actor: 'extension:tester' });
  });

  it('refuses what the API would refuse, changing nothing', async () => {
    const before = (await db.pool.query('SELECT count(*)::int AS n FROM settings_audit')).rows[0].n;
    expect((await locked.settings.write('default', 'k', 1, BY)).outcome).toBe('not_eligible');
    expect((await backends.settings.write('session:nope', 'k', 1, BY)).outcome).toBe('not_eligible');
    expect((await backends.settings.write('project:p1', 'k', 1, BY)).outcome).toBe('not_supported');
    expect(await backends.settings.read('project:p1', 'k')).toBeUndefined();
    expect((await db.pool.query('SELECT count(*)::int AS n FROM settings_audit')).rows[0].n).toBe(before);
  });

  it('deletes a key when the value is null, and an unchanged write is not audited', async () => {
    await backends.settings.write('default', 'theme', 'dark', BY);
    const n = async () => (await db.pool.query('SELECT count(*)::int AS n FROM settings_audit')).rows[0].n;
    const afterFirst = await n();
    await backends.settings.write('default', 'theme', 'dark', BY);
    expect(await n()).toBe(afterFirst);
    await backends.settings.write('default', 'theme', null, BY);
    expect(await backends.settings.read('default', 'theme')).toBeUndefined();
  });
});

describe('transcript rows', () => {
  it('upserts by stable id: one row, two events (created, then replaced)', async () => {
    const row = { sessionId: 's1', rowId: 'note:1', kind: 'note', text: 'first' };
    expect(await backends.transcript.upsert(row, BY)).toEqual({ outcome: 'ok' });
    expect(await backends.transcript.upsert({ ...row, text: 'second', data: { n: 2 } }, BY)).toEqual({
      outcome: 'ok',
    });
    const { rows } = await db.pool.query('SELECT id, kind, content, actor, source FROM transcript_rows');
    expect(rows).toEqual([
      {
        id: 'note:1',
        kind: 'note',
        content: { text: 'second', data: { n: 2 } },
        actor: 'extension:tester',
        source: 'extension-host',
      },
    ]);
    const events = await eventsOf('transcript.updated');
    expect(events.map((e) => e.data.action)).toEqual(['created', 'replaced']);
    expect(events[0]!.data.row).toMatchObject({ id: 'note:1', content: 'first', actor: 'extension:tester' });
  });

  it('is not eligible on a session that does not exist', async () => {
    const r = await backends.transcript.upsert(
      { sessionId: 'gone', rowId: 'x', kind: 'note', text: 't' },
      BY,
    );
    expect(r.outcome).toBe('not_eligible');
  });
});

describe('approval decisions', () => {
  it('an unknown request is not eligible, a malformed id too; nothing is sent to the runtime', async () => {
    expect((await backends.approvals.decide('not-a-uuid', 'accept', BY)).outcome).toBe('not_eligible');
    const unknown = await backends.approvals.decide('00000000-0000-4000-8000-000000000009', 'accept', BY);
    expect(unknown.outcome).toBe('not_eligible');
    expect((await db.pool.query('SELECT count(*)::int AS n FROM runtime_commands')).rows[0].n).toBe(0);
  });

  it('a request already decided by someone else is already_resolved or a conflict, never a second win', async () => {
    const id = '00000000-0000-4000-8000-000000000001';
    await db.pool.query(
      `INSERT INTO server_requests (id, kind, method, session_id, params, available_decisions,
         runtime_generation, rpc_id, status, decision, response, response_hash, resolved_actor, resolved_source, resolved_at)
       VALUES ($1, 'commandApproval', 'item/commandExecution/requestApproval', 's1', '{}', '["accept","decline"]',
         'g1', '1', 'resolved', 'decline', '{"decision":"decline"}', $2, 'alice', 'web', now())`,
      [id, 'not-the-hash'],
    );
    const r = await backends.approvals.decide(id, 'accept', BY);
    expect(r.outcome).toBe('conflict');
    expect(r.detail).toMatch(/already decided: decline/);
    const { rows } = await db.pool.query(
      'SELECT decision, resolved_actor FROM server_requests WHERE id = $1',
      [id],
    );
    expect(rows[0]).toEqual({ decision: 'decline', resolved_actor: 'alice' });
  });
});
