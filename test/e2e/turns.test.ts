import fs from 'node:fs';
import path from 'node:path';
import { stateSnapshot, turnEnded, until } from '../helpers/poll';
import { startStack, type Stack } from '../helpers/stack';

jest.setTimeout(120_000);

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('turns');
});
afterAll(async () => {
  await stack?.stop();
});

type ErrorBody = { error: { code: string; message: string; details?: Record<string, unknown> } };
interface Sent {
  turn: { id: string; status: string };
  controls: { values: Record<string, unknown>; sources: Record<string, string> };
}
interface Entry {
  turnId: string | null;
  source: string;
  item: { id: string; type?: string; content?: { text?: string }[] };
}

const create = async (body: Record<string, unknown> = {}) => {
  const r = await stack.api<{ session: { id: string; cwd: string } }>('POST', '/api/sessions', body);
  expect(r.status).toBe(201);
  return r.body.session;
};
const send = async (id: string, body: Record<string, unknown>) => {
  const r = await stack.api<Sent>('POST', `/api/sessions/${id}/messages`, body);
  expect(r.status).toBe(202);
  return r.body;
};
const transcript = async (id: string) =>
  (await stack.api<{ transcript: { entries: Entry[] } }>('GET', `/api/sessions/${id}`)).body.transcript
    .entries;
const turnsOf = async (id: string) =>
  (
    await stack.api<{ turns: { id: string; kind: string; status: string }[] }>(
      'GET',
      `/api/sessions/${id}?transcript=false`,
    )
  ).body.turns;

/** The command item of a turn as the runtime completed it. */
async function commandItem(sessionId: string, turnId: string) {
  return until('the command item', async () => {
    const { rows } = await stack.db.pool.query<{
      item: { status: string; exitCode: number | null; aggregatedOutput: string };
    }>(
      `SELECT data->'params'->'item' AS item FROM events WHERE thread_id = $1 AND turn_id = $2
         AND type = 'runtime.item.completed' AND data->'params'->'item'->>'type' = 'commandExecution'`,
      [sessionId, turnId],
    );
    return rows[0]?.item;
  });
}

/** Starts a slow turn and resolves once the runtime is streaming it. */
async function slowTurn(sessionId: string, spec = '200x100'): Promise<string> {
  const { turn } = await send(sessionId, { text: `scn:slow:${spec}` });
  await until('the first delta', async () => {
    const { rows } = await stack.db.pool.query(
      `SELECT 1 FROM events WHERE turn_id = $1 AND type = 'runtime.item.agentMessage.delta' LIMIT 1`,
      [turn.id],
    );
    return rows.length > 0;
  });
  return turn.id;
}

describe('turns', () => {
  it('runs every turn with the effective controls; a per-turn override applies to that turn only', async () => {
    const s = await create({ approvalPolicy: 'never', sandbox: 'read-only' });
    const out = path.join(s.cwd, 'out.txt');
    fs.rmSync(out, { force: true });

    const locked = await send(s.id, { text: 'scn:exec' });
    expect(locked.controls.sources).toMatchObject({ sandbox: 'session', approvalPolicy: 'session' });
    await turnEnded(stack, s.id, locked.turn.id);
    const refused = await commandItem(s.id, locked.turn.id);
    expect(refused.exitCode).not.toBe(0);
    expect(refused.aggregatedOutput).toContain('Read-only file system');
    expect(fs.existsSync(out)).toBe(false);

    const open = await send(s.id, { text: 'scn:exec', sandbox: 'workspace-write' });
    expect(open.controls).toMatchObject({
      values: { sandbox: 'workspace-write' },
      sources: { sandbox: 'turn' },
    });
    await turnEnded(stack, s.id, open.turn.id);
    expect((await commandItem(s.id, open.turn.id)).exitCode).toBe(0);
    expect(fs.readFileSync(out, 'utf8')).toBe('hi\n');
    fs.rmSync(out);

    // The runtime would keep the override for later turns; the manager sends the session's again.
    const after = await send(s.id, { text: 'scn:exec' });
    await turnEnded(stack, s.id, after.turn.id);
    expect((await commandItem(s.id, after.turn.id)).aggregatedOutput).toContain('Read-only file system');
    expect(fs.existsSync(out)).toBe(false);
  });

  it('applies default controls to sessions that set none, and a session change to its next turn', async () => {
    const put = await stack.api('PUT', '/api/controls/default', {
      controls: { approvalPolicy: 'never', sandbox: 'read-only' },
    });
    expect(put.status).toBe(200);
    try {
      const s = await create();
      const t1 = await send(s.id, { text: 'scn:exec' });
      expect(t1.controls.sources).toMatchObject({ sandbox: 'default', approvalPolicy: 'default' });
      await turnEnded(stack, s.id, t1.turn.id);
      expect((await commandItem(s.id, t1.turn.id)).aggregatedOutput).toContain('Read-only file system');

      const w = await stack.api<{ effective: { sources: Record<string, string> } }>(
        'PUT',
        `/api/sessions/${s.id}/controls`,
        {
          controls: { sandbox: 'workspace-write' },
        },
      );
      expect(w.body.effective.sources.sandbox).toBe('session');
      const t2 = await send(s.id, { text: 'scn:exec' });
      await turnEnded(stack, s.id, t2.turn.id);
      expect((await commandItem(s.id, t2.turn.id)).exitCode).toBe(0);
      fs.rmSync(path.join(s.cwd, 'out.txt'), { force: true });

      // Settings equal to the ones last sent are not sent again: the runtime keeps them for the
      // thread (the thread itself started read-only).
      const t3 = await send(s.id, { text: 'scn:exec' });
      await turnEnded(stack, s.id, t3.turn.id);
      expect((await commandItem(s.id, t3.turn.id)).exitCode).toBe(0);
      expect(fs.readFileSync(path.join(s.cwd, 'out.txt'), 'utf8')).toBe('hi\n');
      fs.rmSync(path.join(s.cwd, 'out.txt'), { force: true });
    } finally {
      await stack.api('PUT', '/api/controls/default', { controls: {}, mode: 'replace' });
    }
  });

  it('records timing and token usage of each turn in the read model', async () => {
    const s = await create();
    const { turn } = await send(s.id, { text: 'scn:text' });
    const t = await turnEnded(stack, s.id, turn.id);
    expect(t).toMatchObject({ status: 'completed', kind: 'turn', durationMs: expect.any(Number) });
    expect(t.usage).toMatchObject({ total: { totalTokens: expect.any(Number) } });
    const session = await stack.api<{ session: { tokenUsage: unknown } }>(
      'GET',
      `/api/sessions/${s.id}?transcript=false`,
    );
    expect(session.body.session.tokenUsage).toMatchObject({ total: { totalTokens: expect.any(Number) } });
  });

  it('interrupts a slow turn: it ends interrupted, and the call answers with the final status', async () => {
    const s = await create();
    const turnId = await slowTurn(s.id);
    const r = await stack.api<{ turn: { id: string; status: string } }>(
      'POST',
      `/api/sessions/${s.id}/interrupt`,
      {},
    );
    expect(r).toMatchObject({ status: 200, body: { turn: { id: turnId, status: 'interrupted' } } });
    expect((await turnsOf(s.id)).find((t) => t.id === turnId)?.status).toBe('interrupted');
    const { rows } = await stack.db.pool.query(
      `SELECT data->'params'->'turn'->>'status' AS status FROM events WHERE turn_id = $1 AND type = 'runtime.turn.completed'`,
      [turnId],
    );
    expect(rows).toEqual([{ status: 'interrupted' }]);
    const again = await stack.api<ErrorBody>('POST', `/api/sessions/${s.id}/interrupt`, {});
    expect(again).toMatchObject({ status: 409, body: { error: { code: 'conflict' } } });
  });

  it('steers the active turn; refuses other turn starts while it runs with 409 and changes nothing', async () => {
    const s = await create();
    const turnId = await slowTurn(s.id, '40x150');
    const before = await stateSnapshot(stack);
    for (const [route, body] of [
      ['messages', { text: 'another' }],
      ['review', { target: { type: 'custom', instructions: 'x' } }],
      ['compact', undefined],
      ['rollback', { turns: 1 }],
      ['archive', undefined],
      ['steer', { text: 'x', expectedTurnId: 'not-the-active-one' }],
      ['interrupt', { turnId: 'not-the-active-one' }],
    ] as const) {
      const r = await stack.api<ErrorBody>('POST', `/api/sessions/${s.id}/${route}`, body);
      expect([route, r.status, r.body.error.code]).toEqual([route, 409, 'conflict']);
    }
    expect(await stateSnapshot(stack)).toEqual(before);

    const steer = await stack.api<{ turnId: string }>('POST', `/api/sessions/${s.id}/steer`, {
      text: 'please also wave',
      expectedTurnId: turnId,
    });
    expect(steer).toMatchObject({ status: 202, body: { turnId } });
    await turnEnded(stack, s.id, turnId);
    const texts = (await transcript(s.id))
      .filter((e) => e.turnId === turnId && e.item.type === 'userMessage')
      .map((e) => e.item.content?.[0]?.text);
    expect(texts).toEqual(['scn:slow:40x150', 'please also wave']);
  });

  it('reviews, compacts, rolls back N turns and cleans background terminals', async () => {
    const s = await create();
    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      const { turn } = await send(s.id, { text: `scn:text ${n}` });
      await turnEnded(stack, s.id, turn.id);
      ids.push(turn.id);
    }

    const review = await stack.api<{ turn: { id: string } }>('POST', `/api/sessions/${s.id}/review`, {
      target: { type: 'custom', instructions: 'scn:text look at it' },
    });
    expect(review.status).toBe(202);
    expect(await turnEnded(stack, s.id, review.body.turn.id)).toMatchObject({
      kind: 'review',
      status: 'completed',
    });
    const types = (await transcript(s.id))
      .filter((e) => e.turnId === review.body.turn.id)
      .map((e) => e.item.type);
    expect(types).toEqual(expect.arrayContaining(['enteredReviewMode', 'exitedReviewMode']));

    expect((await stack.api('POST', `/api/sessions/${s.id}/compact`)).status).toBe(202);
    const compact = await until('the compaction turn', async () =>
      (await turnsOf(s.id)).find((t) => t.kind === 'compact' && t.status !== 'inProgress'),
    );
    expect(compact.status).toBe('completed');

    const clean = await stack.api('POST', `/api/sessions/${s.id}/background-terminals/clean`);
    expect(clean).toMatchObject({ status: 200, body: { cleaned: true } });

    // Too many turns: the runtime's own count decides, nothing changes.
    const turnsBefore = (await turnsOf(s.id)).map((t) => t.id);
    const tooMany = await stack.api<ErrorBody>('POST', `/api/sessions/${s.id}/rollback`, { turns: 50 });
    expect(tooMany).toMatchObject({ status: 400, body: { error: { code: 'invalid_request' } } });
    expect((await turnsOf(s.id)).map((t) => t.id)).toEqual(turnsBefore);

    // The newest turns (compaction, review, scn:text 3) go; the first two stay.
    const rb = await stack.api<{ removedTurnIds: string[] }>('POST', `/api/sessions/${s.id}/rollback`, {
      turns: 3,
    });
    expect(rb.status).toBe(200);
    expect(rb.body.removedTurnIds).toEqual(expect.arrayContaining([ids[2], review.body.turn.id, compact.id]));
    expect((await turnsOf(s.id)).map((t) => t.id)).toEqual(ids.slice(0, 2));
    const left = (await transcript(s.id)).filter((e) => e.item.type === 'userMessage').map((e) => e.turnId);
    expect(left).toEqual(ids.slice(0, 2));
    // The thread goes on from the rolled-back history.
    const { turn } = await send(s.id, { text: 'scn:text 4' });
    expect((await turnEnded(stack, s.id, turn.id)).status).toBe('completed');
  });
});

describe('runtime passthroughs', () => {
  const get = <T = Record<string, unknown>>(route: string) => stack.api<T>('GET', `/api${route}`);
  const post = <T = Record<string, unknown>>(route: string, body?: unknown) =>
    stack.api<T>('POST', `/api${route}`, body);

  it('reads models, config, requirements, account, skills, MCP servers, apps, features and modes', async () => {
    const models = await get<{ data: { id: string }[] }>('/models?limit=2');
    expect(models.status).toBe(200);
    expect(models.body.data.length).toBeGreaterThan(0);
    expect((await get<{ config: { model: string } }>('/config')).body.config.model).toBe('mock-model');
    expect((await get('/config?includeLayers=true')).body).toHaveProperty('layers');
    expect((await get('/config/requirements')).body).toHaveProperty('requirements');
    expect((await get('/account')).body).toMatchObject({ account: null, requiresOpenaiAuth: false });
    const skills = await get<{ data: { cwd: string; skills: { name: string }[] }[] }>(
      `/skills?cwd=${stack.dataDir}`,
    );
    expect(skills.body.data[0]!.cwd).toBe(stack.dataDir);
    expect((await get('/mcp-servers')).body).toEqual({ data: [], nextCursor: null });
    expect((await get('/apps')).body).toMatchObject({ data: [] });
    const features = await get<{ data: { name: string; enabled: boolean }[] }>(
      '/experimental-features?limit=5',
    );
    expect(features.body.data.length).toBeGreaterThan(0);
    const modes = await get<{ data: { mode: string }[] }>('/collaboration-modes');
    expect(modes.body.data.map((m) => m.mode).sort()).toEqual(['default', 'plan']);
  });

  it('writes config values and batches, audited with who and what changed', async () => {
    const one = await post('/config/value', { keyPath: 'model_reasoning_effort', value: 'low' });
    expect(one).toMatchObject({ status: 200, body: { status: 'ok' } });
    const batch = await post('/config/batch', {
      edits: [
        { keyPath: 'hide_agent_reasoning', value: true },
        { keyPath: 'model_reasoning_effort', value: 'medium' },
      ],
    });
    expect(batch.status).toBe(200);
    const cfg = await get<{ config: Record<string, unknown> }>('/config');
    expect(cfg.body.config).toMatchObject({ hide_agent_reasoning: true, model_reasoning_effort: 'medium' });
    const audit = await get<{
      entries: { action: string; changes: { key: string; before: unknown; after: unknown }[] }[];
    }>('/settings/audit?target=runtimeConfig');
    expect(audit.body.entries[0]).toMatchObject({
      action: 'batchWrite',
      changes: expect.arrayContaining([{ key: 'model_reasoning_effort', before: 'low', after: 'medium' }]),
    });
    // The runtime validates values: its refusal is a 400 with the runtime's reason.
    const bad = await post<ErrorBody>('/config/value', { keyPath: 'model', value: 123 });
    expect(bad).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_request', details: { rpcCode: -32600 } } },
    });
  });

  it('logs in with an API key (never stored), logs out, starts and cancels a browser login', async () => {
    const login = await post('/account/login', { type: 'apiKey', apiKey: 'sk-test-not-a-real-key-123' });
    expect(login).toMatchObject({ status: 200, body: { type: 'apiKey' } });
    const { rows } = await stack.db.pool.query(
      `SELECT params::text AS p FROM runtime_commands WHERE method = 'account/login/start'`,
    );
    expect(rows.map((r) => r.p).join()).not.toContain('sk-test-not-a-real-key-123');
    expect((await post('/account/logout')).status).toBe(200);

    const browser = await post<{ loginId?: string; authUrl?: string } & Partial<ErrorBody>>(
      '/account/login',
      { type: 'chatgpt' },
    );
    if (browser.status === 200) {
      expect(browser.body.authUrl).toMatch(/^https:\/\//);
      const cancel = await post(`/account/login/${browser.body.loginId}/cancel`);
      expect(cancel).toMatchObject({ status: 200, body: { status: 'canceled' } });
    } else {
      // The login callback port is taken by another process on this machine: still a mapped error.
      expect(browser.body.error?.code).toMatch(/^(invalid_request|runtime_error)$/);
    }
    const unknown = await post<ErrorBody>('/account/login/nope/cancel');
    expect(unknown).toMatchObject({ status: 400, body: { error: { code: 'invalid_request' } } });
    // Offline: a device-code login needs OpenAI's servers, so the runtime's failure comes back mapped.
    const device = await post<ErrorBody>('/account/login', { type: 'chatgptDeviceCode' });
    expect(device).toMatchObject({
      status: 502,
      body: { error: { code: 'runtime_error', details: { rpcCode: -32603 } } },
    });
    // Offline, without an account: rate limits need one.
    expect((await get<ErrorBody>('/account/rate-limits')).body.error.code).toBe('invalid_request');
  });

  it('toggles a skill, reloads MCP servers and maps errors of unknown ones', async () => {
    const off = await post('/skills/config', { name: 'imagegen', enabled: false });
    expect(off).toMatchObject({ status: 200, body: { effectiveEnabled: false } });
    expect((await post('/skills/config', { name: 'imagegen', enabled: true })).body).toEqual({
      effectiveEnabled: true,
    });
    expect((await post('/mcp-servers/reload')).status).toBe(200);
    const oauth = await post<ErrorBody>('/mcp-servers/nope/oauth-login', {});
    expect(oauth).toMatchObject({ status: 400, body: { error: { code: 'invalid_request' } } });
  });

  it('runs one-off commands and reports feedback upload failures offline as runtime errors', async () => {
    const ok = await post('/command-exec', {
      command: ['sh', '-c', 'echo hello; echo oops >&2'],
      cwd: stack.dataDir,
    });
    expect(ok).toMatchObject({ status: 200, body: { exitCode: 0, stdout: 'hello\n' } });
    expect((await post('/command-exec', { command: ['sh', '-c', 'exit 3'] })).body).toMatchObject({
      exitCode: 3,
    });
    const empty = await post<ErrorBody>('/command-exec', { command: [] });
    expect(empty).toMatchObject({ status: 400, body: { error: { code: 'invalid_request' } } });
    const feedback = await post<ErrorBody>('/feedback', { classification: 'bug', reason: 'offline' });
    expect(feedback).toMatchObject({
      status: 502,
      body: { error: { code: 'runtime_error', details: { rpcCode: -32603 } } },
    });
  });

  it('reports capabilities: the runtime methods, the operations they support and live probes', async () => {
    const caps = await get<{
      runtime: { version: string };
      methods: { known: boolean; total: number; experimental: string[] };
      operations: Record<string, { supported: boolean }>;
      probes: { method: string; ok: boolean; error?: { code: string } }[];
    }>('/capabilities');
    expect(caps.status).toBe(200);
    expect(caps.body.runtime.version).toBe('0.169.0');
    expect(caps.body.methods.known).toBe(true);
    expect(caps.body.methods.total).toBeGreaterThan(100);
    expect(caps.body.methods.experimental).toContain('thread/backgroundTerminals/clean');
    expect(Object.values(caps.body.operations).every((o) => o.supported)).toBe(true);
    expect(caps.body.operations['sessions.rollback']).toBeDefined();
    const probe = (m: string) => caps.body.probes.find((p) => p.method === m);
    expect(probe('model/list')).toMatchObject({ ok: true });
    expect(probe('account/rateLimits/read')).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
  });
});
