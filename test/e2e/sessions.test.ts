import fs from 'node:fs';
import path from 'node:path';
import { stateSnapshot, turnEnded, until } from '../helpers/poll';
import { startStack, type Stack } from '../helpers/stack';

jest.setTimeout(120_000);

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('sessions');
});
afterAll(async () => {
  await stack?.stop();
});

interface Session {
  id: string;
  title: string | null;
  preview: string | null;
  cwd: string;
  model: string;
  status: string;
  archived: boolean;
  projectId: string | null;
  systemOwned: boolean;
  forkedFrom: string | null;
  dynamicTools: { name: string }[] | null;
  activeTurnId: string | null;
}
interface Entry {
  turnId: string | null;
  source: 'runtime' | 'supplemental';
  item: { id: string; type?: string; kind?: string; text?: string; content?: unknown };
}
interface Detail {
  session: Session;
  turns: { id: string; status: string }[];
  transcript: { complete: boolean; entries: Entry[] } | null;
}
type ErrorBody = { error: { code: string; message: string; details?: Record<string, unknown> } };

const json = { 'content-type': 'application/json' };
const create = async (body: Record<string, unknown> = {}, headers: Record<string, string> = {}) => {
  const r = await stack.api<{ session: Session }>('POST', '/api/sessions', body, headers);
  expect(r.status).toBe(201);
  return r.body.session;
};
const send = async (id: string, text: string) => {
  const r = await stack.api<{ turn: { id: string } }>('POST', `/api/sessions/${id}/messages`, { text });
  expect(r.status).toBe(202);
  return r.body.turn.id;
};
const detail = async (id: string) => (await stack.api<Detail>('GET', `/api/sessions/${id}`)).body;
const commands = async (method: string) =>
  (
    await stack.db.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM runtime_commands WHERE method = $1',
      [method],
    )
  ).rows[0]!.n;

describe('sessions', () => {
  let projectId: string;

  beforeAll(async () => {
    projectId = (await stack.api<{ project: { id: string } }>('POST', '/api/projects', { name: 'Sessions' }))
      .body.project.id;
  });

  it('creates a session with cwd, model, controls, dynamic tools and project; controls are stored and audited', async () => {
    const cwd = path.join(stack.dataDir, 'elsewhere');
    fs.mkdirSync(cwd, { recursive: true });
    const s = await create(
      {
        cwd,
        model: 'mock-model',
        title: 'With everything',
        projectId,
        approvalPolicy: 'never',
        sandbox: 'read-only',
        networkAccess: false,
        dynamicTools: [
          {
            name: 'lookup_ticket',
            description: 'Look a ticket up',
            inputSchema: { type: 'object', properties: { id: { type: 'string' } } },
          },
        ],
      },
      { 'x-actor': 'alice', 'x-client': 'cli' },
    );
    expect(s).toMatchObject({
      cwd,
      model: 'mock-model',
      title: 'With everything',
      projectId,
      archived: false,
      systemOwned: false,
      dynamicTools: [expect.objectContaining({ name: 'lookup_ticket' })],
    });
    const controls = await stack.api<{ session: Record<string, unknown> }>(
      'GET',
      `/api/sessions/${s.id}/controls`,
    );
    expect(controls.body.session).toEqual({
      model: 'mock-model',
      approvalPolicy: 'never',
      sandbox: 'read-only',
      networkAccess: false,
    });
    const audit = await stack.api<{ entries: { actor: string; source: string; target: string }[] }>(
      'GET',
      `/api/settings/audit?sessionId=${s.id}`,
    );
    expect(audit.body.entries).toEqual([
      expect.objectContaining({ target: 'controls', actor: 'alice', source: 'cli' }),
    ]);

    // The dynamic tool reached the runtime: the scripted model calls it and the runtime asks us.
    const turnId = await send(s.id, 'scn:dyn');
    await until('the dynamic tool call', async () => {
      const { rows } = await stack.db.pool.query(
        `SELECT 1 FROM events WHERE thread_id = $1 AND type = 'request.created'
           AND data->>'method' = 'item/tool/call' AND data->'params'->>'tool' = 'lookup_ticket'`,
        [s.id],
      );
      return rows.length > 0;
    });
    const stopped = await stack.api<{ turn: { status: string } }>(
      'POST',
      `/api/sessions/${s.id}/interrupt`,
      {},
    );
    expect(stopped.status).toBe(200);
    expect((await turnEnded(stack, s.id, turnId)).status).toBe('interrupted');
  });

  it('gets a session with its transcript from the runtime, supplemental rows placed by turn and item', async () => {
    const s = await create({ title: 'Transcript' });
    const turnId = await send(s.id, 'scn:text first');
    expect((await turnEnded(stack, s.id, turnId)).status).toBe('completed');
    const first = await detail(s.id);
    expect(first.transcript!.complete).toBe(true);
    const items = first.transcript!.entries.map((e) => e.item.type);
    expect(items).toEqual(['userMessage', 'reasoning', 'agentMessage']);
    const userItem = first.transcript!.entries[0]!.item.id;

    const put = (rowId: string, body: Record<string, unknown>) =>
      stack.api<{ created: boolean }>('PUT', `/api/sessions/${s.id}/transcript/${rowId}`, body);
    expect(
      (await put('note-1', { kind: 'note', content: { text: 'v1' }, turnId, afterItemId: userItem })).status,
    ).toBe(201);
    expect((await put('note-2', { kind: 'note', content: 'end of turn', turnId })).status).toBe(201);
    // Writing the same id again replaces the row instead of adding one.
    const again = await put('note-1', {
      kind: 'note',
      content: { text: 'v2' },
      turnId,
      afterItemId: userItem,
    });
    expect(again).toMatchObject({ status: 200, body: { created: false } });

    const entries = (await detail(s.id)).transcript!.entries;
    expect(entries.map((e) => (e.source === 'runtime' ? e.item.type : e.item.id))).toEqual([
      'userMessage',
      'note-1',
      'reasoning',
      'agentMessage',
      'note-2',
    ]);
    expect(entries[1]).toMatchObject({ turnId, source: 'supplemental', item: { content: { text: 'v2' } } });
    const events = await stack.db.pool.query(
      `SELECT data->>'action' AS action FROM events WHERE thread_id = $1 AND type = 'transcript.updated' ORDER BY seq`,
      [s.id],
    );
    expect(events.rows.map((r) => r.action)).toEqual(['created', 'created', 'replaced']);
    expect((await stack.api('DELETE', `/api/sessions/${s.id}/transcript/note-2`)).status).toBe(200);
    expect((await stack.api('DELETE', `/api/sessions/${s.id}/transcript/note-2`)).status).toBe(404);
  });

  it('lists with filters and cursor pagination, never calling the runtime', async () => {
    const tag = `needle-${Date.now()}`;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await create({ title: `${tag} ${i}`, projectId })).id);
    await stack.db.pool.query('UPDATE sessions SET system_owned = true WHERE id = $1', [ids[4]]);
    const before = await commands('session/read');
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r: { body: { sessions: Session[]; nextCursor: string | null } } = await stack.api(
        'GET',
        `/api/sessions?q=${tag}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...r.body.sessions.map((s) => s.id));
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(seen.sort()).toEqual(ids.slice(0, 4).sort());
    const withWorkers = await stack.api<{ sessions: Session[] }>(
      'GET',
      `/api/sessions?q=${tag}&includeSystemOwned=true`,
    );
    expect(withWorkers.body.sessions.map((s) => s.id)).toContain(ids[4]);
    const inProject = await stack.api<{ sessions: Session[] }>(
      'GET',
      `/api/sessions?projectId=${projectId}&limit=200`,
    );
    expect(inProject.body.sessions.every((s) => s.projectId === projectId)).toBe(true);
    const none = await stack.api<{ sessions: Session[] }>('GET', `/api/sessions?projectId=none&q=${tag}`);
    expect(none.body.sessions).toEqual([]);
    expect(await commands('session/read')).toBe(before);
  });

  it('renames, archives and unarchives; archived sessions leave the default list and refuse turns', async () => {
    const s = await create({ title: 'Old name' });
    const renamed = await stack.api<{ session: Session }>('PATCH', `/api/sessions/${s.id}`, {
      title: 'New name',
    });
    expect(renamed).toMatchObject({ status: 200, body: { session: { title: 'New name' } } });
    // The runtime keeps the name too.
    await until('thread/name/updated', async () => {
      const { rows } = await stack.db.pool.query(
        `SELECT 1 FROM events WHERE thread_id = $1 AND type = 'runtime.thread.name.updated'`,
        [s.id],
      );
      return rows.length > 0;
    });

    const archived = await stack.api<{ session: Session }>('POST', `/api/sessions/${s.id}/archive`);
    expect(archived.body.session.archived).toBe(true);
    expect((await stack.api<{ session: Session }>('POST', `/api/sessions/${s.id}/archive`)).status).toBe(200);
    const list = await stack.api<{ sessions: Session[] }>('GET', '/api/sessions?limit=200');
    expect(list.body.sessions.map((x) => x.id)).not.toContain(s.id);
    const archivedList = await stack.api<{ sessions: Session[] }>('GET', '/api/sessions?archived=true');
    expect(archivedList.body.sessions.map((x) => x.id)).toContain(s.id);
    const refused = await stack.api<ErrorBody>('POST', `/api/sessions/${s.id}/messages`, { text: 'hi' });
    expect(refused).toMatchObject({ status: 409, body: { error: { code: 'conflict' } } });
    expect((await stack.api<ErrorBody>('POST', `/api/sessions/${s.id}/resume`)).status).toBe(409);

    const back = await stack.api<{ session: Session }>('POST', `/api/sessions/${s.id}/unarchive`);
    expect(back.body.session.archived).toBe(false);
    // Unarchived threads are not loaded in the runtime: the next turn resumes it.
    const turnId = await send(s.id, 'scn:text after unarchive');
    expect((await turnEnded(stack, s.id, turnId)).status).toBe('completed');
    expect((await stack.api<{ session: Session }>('POST', `/api/sessions/${s.id}/resume`)).status).toBe(200);
  });

  it('forks a session: a new session with the turns so far, the same project, controls and settings', async () => {
    const src = await create({ title: 'Source', projectId, approvalPolicy: 'never' });
    const t1 = await send(src.id, 'scn:text one');
    await turnEnded(stack, src.id, t1);
    const t2 = await send(src.id, 'scn:text two');
    await turnEnded(stack, src.id, t2);
    await stack.api('PUT', `/api/sessions/${src.id}/settings/color`, { value: 'blue' });

    const fork = await stack.api<{ session: Session }>('POST', `/api/sessions/${src.id}/fork`, {
      lastTurnId: t1,
      title: 'The fork',
    });
    expect(fork.status).toBe(201);
    const f = fork.body.session;
    expect(f).toMatchObject({ title: 'The fork', projectId, forkedFrom: src.id });
    const d = await detail(f.id);
    expect(d.turns.map((t) => t.id)).toEqual([t1]);
    expect(d.transcript!.entries.filter((e) => e.item.type === 'userMessage')).toHaveLength(1);
    const settings = await stack.api<{ values: Record<string, unknown> }>(
      'GET',
      `/api/sessions/${f.id}/settings`,
    );
    expect(settings.body.values).toEqual({ color: 'blue' });
    const controls = await stack.api<{ session: Record<string, unknown> }>(
      'GET',
      `/api/sessions/${f.id}/controls`,
    );
    expect(controls.body.session).toEqual({ approvalPolicy: 'never' });
    // The fork is a thread of its own.
    const t3 = await send(f.id, 'scn:text in the fork');
    expect((await turnEnded(stack, f.id, t3)).status).toBe('completed');
    expect((await detail(src.id)).turns).toHaveLength(2);
  });

  it('deletes a session for good: later reads and writes answer 410, its rows are gone', async () => {
    const s = await create({ title: 'Doomed' });
    const turnId = await send(s.id, 'scn:text');
    await turnEnded(stack, s.id, turnId);
    await stack.api('PUT', `/api/sessions/${s.id}/transcript/n1`, { kind: 'note', content: 'x' });
    await stack.api('PUT', `/api/sessions/${s.id}/settings/k`, { value: 1 });
    const del = await stack.api<{ deleted: boolean }>('DELETE', `/api/sessions/${s.id}`, undefined, {
      'x-actor': 'bob',
    });
    expect(del).toMatchObject({ status: 200, body: { deleted: true } });
    for (const [method, route, body] of [
      ['GET', `/api/sessions/${s.id}`, undefined],
      ['DELETE', `/api/sessions/${s.id}`, undefined],
      ['POST', `/api/sessions/${s.id}/messages`, { text: 'hi' }],
      ['PATCH', `/api/sessions/${s.id}`, { title: 'x' }],
      ['GET', `/api/sessions/${s.id}/settings`, undefined],
    ] as const) {
      const r = await stack.api<ErrorBody>(method, route, body);
      expect(r).toMatchObject({ status: 410, body: { error: { code: 'gone' } } });
    }
    const left = await stack.db.pool.query(
      `SELECT (SELECT count(*) FROM turns WHERE session_id = $1) + (SELECT count(*) FROM transcript_rows WHERE session_id = $1)
            + (SELECT count(*) FROM settings WHERE session_id = $1) AS n,
              (SELECT actor FROM deleted_sessions WHERE id = $1) AS actor`,
      [s.id],
    );
    expect(left.rows[0]).toEqual({ n: 0, actor: 'bob' });
    const list = await stack.api<{ sessions: Session[] }>('GET', '/api/sessions?archived=all&limit=200');
    expect(list.body.sessions.map((x) => x.id)).not.toContain(s.id);
  });

  it('refuses user-facing mutations of a system-owned worker session with 403 and changes nothing', async () => {
    const s = await create({ title: 'Worker' });
    await stack.db.pool.query('UPDATE sessions SET system_owned = true WHERE id = $1', [s.id]);
    const before = await stateSnapshot(stack);
    for (const [method, route, body] of [
      ['PATCH', `/api/sessions/${s.id}`, { title: 'x' }],
      ['POST', `/api/sessions/${s.id}/messages`, { text: 'hi' }],
      ['POST', `/api/sessions/${s.id}/archive`, undefined],
      ['DELETE', `/api/sessions/${s.id}`, undefined],
      ['PUT', `/api/sessions/${s.id}/settings/k`, { value: 1 }],
      ['PUT', `/api/sessions/${s.id}/controls`, { controls: { model: 'x' } }],
      ['PUT', `/api/sessions/${s.id}/transcript/r`, { kind: 'note', content: 1 }],
      ['PUT', `/api/projects/${projectId}/sessions/${s.id}`, undefined],
    ] as const) {
      const r = await stack.api<ErrorBody>(method, route, body);
      expect([route, r.status, r.body.error.code]).toEqual([route, 403, 'forbidden']);
    }
    expect(await stateSnapshot(stack)).toEqual(before);
    expect((await stack.api('GET', `/api/sessions/${s.id}`)).status).toBe(200);
  });

  it('answers bad input with 400/404 and the right code, and changes nothing', async () => {
    const s = await create({ title: 'Target' });
    const before = await stateSnapshot(stack);
    const cases: [string, string, unknown, number, string][] = [
      ['POST', '/api/sessions', { cwd: 'relative' }, 400, 'invalid_request'],
      ['POST', '/api/sessions', { approvalPolicy: 'on-failure' }, 400, 'invalid_request'],
      [
        'POST',
        '/api/sessions',
        { dynamicTools: [{ name: 'bad name!', description: 'x', inputSchema: {} }] },
        400,
        'invalid_request',
      ],
      [
        'POST',
        '/api/sessions',
        {
          dynamicTools: [
            { name: 'a', description: 'x', inputSchema: {} },
            { name: 'a', description: 'y', inputSchema: {} },
          ],
        },
        400,
        'invalid_request',
      ],
      ['POST', '/api/sessions', { projectId: '00000000-0000-4000-8000-000000000000' }, 404, 'not_found'],
      ['POST', '/api/sessions', '{"title": ', 400, 'invalid_json'],
      ['GET', '/api/sessions?limit=0', undefined, 400, 'invalid_request'],
      ['GET', '/api/sessions?cursor=bogus', undefined, 400, 'invalid_request'],
      ['GET', '/api/sessions?archived=maybe', undefined, 400, 'invalid_request'],
      ['GET', '/api/sessions/nope', undefined, 404, 'not_found'],
      ['PATCH', `/api/sessions/${s.id}`, { title: '  ' }, 400, 'invalid_request'],
      ['PATCH', '/api/sessions/nope', { title: 'x' }, 404, 'not_found'],
      ['POST', `/api/sessions/${s.id}/messages`, { text: 'x', sandbox: 'none' }, 400, 'invalid_request'],
      ['POST', `/api/sessions/${s.id}/fork`, { lastTurnId: 'nope' }, 404, 'not_found'],
      [
        'PUT',
        `/api/sessions/${s.id}/transcript/bad%20id`,
        { kind: 'note', content: 1 },
        400,
        'invalid_request',
      ],
      ['PUT', `/api/sessions/${s.id}/transcript/r1`, { kind: 'note' }, 400, 'invalid_request'],
      [
        'PUT',
        `/api/sessions/${s.id}/transcript/r1`,
        { kind: 'note', content: 1, turnId: 'nope' },
        404,
        'not_found',
      ],
      [
        'PUT',
        `/api/sessions/${s.id}/transcript/r1`,
        { kind: 'note', content: 1, afterItemId: 'i' },
        400,
        'invalid_request',
      ],
      ['POST', `/api/sessions/${s.id}/interrupt`, {}, 409, 'conflict'],
      ['POST', `/api/sessions/${s.id}/steer`, { text: 'x' }, 409, 'conflict'],
    ];
    for (const [method, route, body, status, code] of cases) {
      const r = await stack.api<ErrorBody>(method, route, body, body === undefined ? {} : json);
      expect([method, route, r.status, r.body?.error?.code]).toEqual([method, route, status, code]);
    }
    expect(await stateSnapshot(stack)).toEqual(before);
  });

  it('replays the first result of a repeated Idempotency-Key without a second runtime call', async () => {
    const s = await create({ title: 'Idempotent' });
    const startsBefore = await commands('turn/start');
    const headers = { 'idempotency-key': `send-${s.id}` };
    const first = await stack.api<{ turn: { id: string } }>(
      'POST',
      `/api/sessions/${s.id}/messages`,
      { text: 'scn:text' },
      headers,
    );
    const second = await stack.api<{ turn: { id: string } }>(
      'POST',
      `/api/sessions/${s.id}/messages`,
      { text: 'scn:text' },
      headers,
    );
    expect(first.status).toBe(202);
    expect(second).toEqual(first);
    expect(await commands('turn/start')).toBe(startsBefore + 1);
    await turnEnded(stack, s.id, first.body.turn.id);
    const renameKey = { 'idempotency-key': `rename-${s.id}` };
    await stack.api('PATCH', `/api/sessions/${s.id}`, { title: 'Once' }, renameKey);
    const renames = await commands('thread/name/set');
    const replay = await stack.api<{ session: Session }>(
      'PATCH',
      `/api/sessions/${s.id}`,
      { title: 'Once' },
      renameKey,
    );
    expect(replay.body.session.title).toBe('Once');
    expect(await commands('thread/name/set')).toBe(renames);
    const reused = await stack.api<ErrorBody>(
      'PATCH',
      `/api/sessions/${s.id}`,
      { title: 'Other' },
      renameKey,
    );
    expect(reused.status).toBe(422);
  });
});
