import net from 'node:net';
import { stateSnapshot, turnEnded, until } from '../helpers/poll';
import { startStack, type Stack } from '../helpers/stack';

jest.setTimeout(180_000);

/** A free port, so the gateway comes back on the same URL after it is killed. */
async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

// Defaults are locked by configuration in this stack (CM_LOCK_DEFAULTS via --lock-defaults).
let stack: Stack;
beforeAll(async () => {
  stack = await startStack('projects_settings', {
    args: ['--port', String(await freePort()), '--lock-defaults'],
  });
});
afterAll(async () => {
  await stack?.stop();
});

type ErrorBody = { error: { code: string; message: string; details?: Record<string, unknown> } };
interface Project {
  id: string;
  name: string;
  sessionCount: number;
}
interface Session {
  id: string;
  title: string | null;
  projectId: string | null;
}

const project = async (name: string) => {
  const r = await stack.api<{ project: Project }>('POST', '/api/projects', { name });
  expect(r.status).toBe(201);
  return r.body.project;
};
const session = async (body: Record<string, unknown> = {}) => {
  const r = await stack.api<{ session: Session }>('POST', '/api/sessions', body);
  expect(r.status).toBe(201);
  return r.body.session;
};
const sessionOf = async (id: string) =>
  (await stack.api<{ session: Session }>('GET', `/api/sessions/${id}?transcript=false`)).body.session;

describe('projects', () => {
  it('creates, lists, renames and deletes projects; names are unique regardless of case', async () => {
    const a = await project('Alpha');
    await project('beta');
    const dup = await stack.api<ErrorBody>('POST', '/api/projects', { name: 'ALPHA' });
    expect(dup).toMatchObject({ status: 409, body: { error: { code: 'conflict' } } });
    const list = await stack.api<{ projects: Project[] }>('GET', '/api/projects');
    expect(list.body.projects.map((p) => p.name)).toEqual(['Alpha', 'beta']);
    const renamed = await stack.api<{ project: Project }>('PATCH', `/api/projects/${a.id}`, {
      name: 'Alpha 2',
    });
    expect(renamed).toMatchObject({ status: 200, body: { project: { name: 'Alpha 2' } } });
    expect((await stack.api('PATCH', `/api/projects/${a.id}`, { name: 'Beta' })).status).toBe(409);

    const s = await session({ projectId: a.id });
    const del = await stack.api<{ unassignedSessions: string[] }>('DELETE', `/api/projects/${a.id}`);
    expect(del).toMatchObject({ status: 200, body: { unassignedSessions: [s.id] } });
    expect((await sessionOf(s.id)).projectId).toBeNull();
    expect((await stack.api<ErrorBody>('GET', `/api/projects/${a.id}`)).status).toBe(404);
  });

  it('assigns and unassigns a session, moves all chats, deletes all chats but not worker sessions', async () => {
    const p = await project('Moving');
    const q = await project('Target');
    const chats = [await session(), await session()];
    for (const c of chats) {
      const r = await stack.api<{ session: Session }>('PUT', `/api/projects/${p.id}/sessions/${c.id}`);
      expect(r.body.session.projectId).toBe(p.id);
    }
    const worker = await session({ projectId: p.id });
    await stack.db.pool.query('UPDATE sessions SET system_owned = true WHERE id = $1', [worker.id]);
    expect(
      (await stack.api<{ project: Project }>('GET', `/api/projects/${p.id}`)).body.project.sessionCount,
    ).toBe(2);

    const out = await stack.api<{ session: Session }>(
      'DELETE',
      `/api/projects/${p.id}/sessions/${chats[1]!.id}`,
    );
    expect(out.body.session.projectId).toBeNull();
    const notIn = await stack.api<ErrorBody>('DELETE', `/api/projects/${p.id}/sessions/${chats[1]!.id}`);
    expect(notIn).toMatchObject({ status: 409, body: { error: { code: 'conflict' } } });
    await stack.api('PUT', `/api/projects/${p.id}/sessions/${chats[1]!.id}`);

    const moved = await stack.api<{ moved: string[] }>('POST', `/api/projects/${p.id}/move-chats`, {
      targetProjectId: q.id,
    });
    expect(moved.body.moved).toEqual(chats.map((c) => c.id).sort());
    expect((await sessionOf(worker.id)).projectId).toBe(p.id); // worker sessions stay with their project
    const events = await stack.db.pool.query(
      `SELECT thread_id FROM events WHERE type = 'session.updated' AND data->'changes'->>'projectId' = $1`,
      [q.id],
    );
    expect(events.rows.map((r) => r.thread_id).sort()).toEqual(chats.map((c) => c.id).sort());

    const turn = await stack.api<{ turn: { id: string } }>('POST', `/api/sessions/${chats[0]!.id}/messages`, {
      text: 'scn:text',
    });
    await turnEnded(stack, chats[0]!.id, turn.body.turn.id);
    const deleted = await stack.api<{ deleted: string[] }>('DELETE', `/api/projects/${q.id}/chats`);
    expect(deleted.body.deleted.sort()).toEqual(chats.map((c) => c.id).sort());
    for (const c of chats) expect((await stack.api('GET', `/api/sessions/${c.id}`)).status).toBe(410);
    expect(
      (await stack.api<{ project: Project }>('GET', `/api/projects/${q.id}`)).body.project.sessionCount,
    ).toBe(0);
  });

  it('answers bad project input with 400/404/409 and changes nothing', async () => {
    const p = await project('Untouched');
    const s = await session();
    const before = await stateSnapshot(stack);
    const unknown = '00000000-0000-4000-8000-000000000000';
    const cases: [string, string, unknown, number][] = [
      ['POST', '/api/projects', { name: '   ' }, 400],
      ['POST', '/api/projects', { name: 'x', extra: 1 }, 400],
      ['POST', '/api/projects', { name: 'untouched' }, 409],
      ['GET', '/api/projects/not-a-uuid', undefined, 400],
      ['GET', `/api/projects/${unknown}`, undefined, 404],
      ['PATCH', `/api/projects/${unknown}`, { name: 'x' }, 404],
      ['DELETE', `/api/projects/${unknown}`, undefined, 404],
      ['PUT', `/api/projects/${unknown}/sessions/${s.id}`, undefined, 404],
      ['PUT', `/api/projects/${p.id}/sessions/nope`, undefined, 404],
      ['POST', `/api/projects/${p.id}/move-chats`, { targetProjectId: p.id }, 400],
      ['POST', `/api/projects/${p.id}/move-chats`, { targetProjectId: unknown }, 404],
      ['POST', `/api/projects/${p.id}/move-chats`, {}, 400],
      ['DELETE', `/api/projects/${unknown}/chats`, undefined, 404],
    ];
    for (const [method, route, body, status] of cases) {
      const r = await stack.api<ErrorBody>(method, route, body);
      expect([method, route, r.status]).toEqual([method, route, status]);
      expect(r.body.error.code).toEqual(expect.any(String));
    }
    expect(await stateSnapshot(stack)).toEqual(before);
  });
});

describe('controls and settings', () => {
  it('writes session settings by merge, replace, single key and delete, each audited with actor and source', async () => {
    const s = await session();
    const base = `/api/sessions/${s.id}/settings`;
    const who = { 'x-actor': 'carol', 'x-client': 'web' };
    await stack.api('PUT', base, { values: { ui: { theme: 'dark', font: 12 }, lang: 'en' } }, who);
    const merged = await stack.api<{ values: unknown }>(
      'PUT',
      base,
      { values: { ui: { font: null, density: 'compact' } } },
      who,
    );
    expect(merged.body.values).toEqual({ ui: { theme: 'dark', density: 'compact' }, lang: 'en' });
    const one = await stack.api<{ values: unknown }>('PUT', `${base}/limit`, { value: [1, 2] }, who);
    expect(one.body.values).toMatchObject({ limit: [1, 2] });
    const deleted = await stack.api<{ values: unknown }>('DELETE', `${base}/lang`, undefined, who);
    expect(deleted.body.values).toEqual({ ui: { theme: 'dark', density: 'compact' }, limit: [1, 2] });
    const replaced = await stack.api<{ values: unknown }>(
      'PUT',
      base,
      { values: { only: true }, mode: 'replace' },
      who,
    );
    expect(replaced.body.values).toEqual({ only: true });
    expect((await stack.api<{ values: unknown }>('GET', base)).body.values).toEqual({ only: true });

    const audit = await stack.api<{
      entries: { action: string; actor: string; source: string; changes: { key: string }[] }[];
    }>('GET', `/api/settings/audit?sessionId=${s.id}&target=settings`);
    expect(audit.body.entries.map((e) => e.action)).toEqual(['replace', 'delete', 'set', 'merge', 'merge']);
    expect(audit.body.entries.every((e) => e.actor === 'carol' && e.source === 'web')).toBe(true);
    expect(audit.body.entries[0]!.changes.map((c) => c.key).sort()).toEqual(['limit', 'only', 'ui']);
    // Paging through the trail.
    const first = await stack.api<{ entries: { id: number }[]; nextBefore: number }>(
      'GET',
      `/api/settings/audit?sessionId=${s.id}&limit=2`,
    );
    const next = await stack.api<{ entries: { id: number }[] }>(
      'GET',
      `/api/settings/audit?sessionId=${s.id}&limit=2&before=${first.body.nextBefore}`,
    );
    expect(next.body.entries[0]!.id).toBeLessThan(first.body.entries[1]!.id);
  });

  it('writes session controls and shows where each effective field comes from', async () => {
    const s = await session();
    const r = await stack.api<{
      session: unknown;
      effective: { values: Record<string, unknown>; sources: Record<string, string> };
    }>('PUT', `/api/sessions/${s.id}/controls`, { controls: { model: 'mock-model', networkAccess: true } });
    expect(r.status).toBe(200);
    expect(r.body.session).toEqual({ model: 'mock-model', networkAccess: true });
    expect(r.body.effective.sources).toMatchObject({
      model: 'session',
      networkAccess: 'session',
      sandbox: 'runtime',
    });
    const cleared = await stack.api<{ session: unknown }>('PUT', `/api/sessions/${s.id}/controls`, {
      controls: { model: null },
    });
    expect(cleared.body.session).toEqual({ networkAccess: true });
  });

  it('locks the default scope (423) and the runtime config while CM_LOCK_DEFAULTS is set, changing nothing', async () => {
    expect((await stack.api<{ locked: boolean }>('GET', '/api/settings/default')).body.locked).toBe(true);
    expect((await stack.api<{ locked: boolean }>('GET', '/api/controls/default')).body.locked).toBe(true);
    const s = await session();
    const before = await stateSnapshot(stack);
    for (const [method, route, body] of [
      ['PUT', '/api/settings/default', { values: { a: 1 } }],
      ['PUT', '/api/settings/default/a', { value: 1 }],
      ['DELETE', '/api/settings/default/a', undefined],
      ['PUT', '/api/controls/default', { controls: { model: 'x' } }],
      ['POST', '/api/config/value', { keyPath: 'model', value: 'x' }],
      ['POST', '/api/config/batch', { edits: [{ keyPath: 'model', value: 'x' }] }],
    ] as const) {
      const r = await stack.api<ErrorBody>(method, route, body);
      expect([route, r.status, r.body.error.code]).toEqual([route, 423, 'locked']);
    }
    expect(await stateSnapshot(stack)).toEqual(before);
    // The session scope stays writable.
    expect((await stack.api('PUT', `/api/sessions/${s.id}/settings/k`, { value: 1 })).status).toBe(200);
  });

  it('answers bad settings and controls input with 400/404 and changes nothing', async () => {
    const s = await session();
    const before = await stateSnapshot(stack);
    const cases: [string, string, unknown, number][] = [
      ['PUT', `/api/sessions/${s.id}/settings`, { values: { 'bad key!': 1 } }, 400],
      ['PUT', `/api/sessions/${s.id}/settings`, { values: {}, mode: 'upsert' }, 400],
      ['PUT', `/api/sessions/${s.id}/settings`, [1, 2], 400],
      ['PUT', `/api/sessions/${s.id}/settings/k`, { value: null }, 400],
      ['DELETE', `/api/sessions/${s.id}/settings/missing`, undefined, 404],
      ['PUT', `/api/sessions/nope/settings/k`, { value: 1 }, 404],
      ['PUT', `/api/sessions/${s.id}/controls`, { controls: { sandbox: 'none' } }, 400],
      ['PUT', `/api/sessions/${s.id}/controls`, { controls: { color: 'red' } }, 400],
      ['GET', '/api/settings/audit?limit=0', undefined, 400],
    ];
    for (const [method, route, body, status] of cases) {
      const r = await stack.api<ErrorBody>(method, route, body);
      expect([method, route, r.status]).toEqual([method, route, status]);
    }
    expect(await stateSnapshot(stack)).toEqual(before);
  });
});

interface Health {
  status: string;
  runtime: { state: string; pid: number };
  services: Record<string, { instances: { pid: number; up: boolean }[] }>;
}

describe('restarts lose nothing', () => {
  it('after killing the runtime, the runtime-bridge and the gateway: sessions, titles, projects, settings and transcripts are intact', async () => {
    const p = await project('Durable');
    const s = await session({ title: 'Survivor', projectId: p.id, approvalPolicy: 'never' });
    const turn = await stack.api<{ turn: { id: string } }>('POST', `/api/sessions/${s.id}/messages`, {
      text: 'scn:text remember me',
    });
    await turnEnded(stack, s.id, turn.body.turn.id);
    await stack.api('PUT', `/api/sessions/${s.id}/settings`, { values: { pinned: true } });
    await stack.api('PUT', `/api/sessions/${s.id}/transcript/keep`, {
      kind: 'note',
      content: 'kept',
      turnId: turn.body.turn.id,
    });
    const snapshot = async () => {
      const d = await stack.api<{
        session: Session;
        turns: { id: string; status: string }[];
        transcript: { complete: boolean; entries: { source: string; item: { type?: string; id: string } }[] };
      }>('GET', `/api/sessions/${s.id}`);
      expect(d.status).toBe(200);
      const settings = await stack.api<{ values: unknown }>('GET', `/api/sessions/${s.id}/settings`);
      const controls = await stack.api<{ session: unknown }>('GET', `/api/sessions/${s.id}/controls`);
      const projects = await stack.api<{ projects: Project[] }>('GET', '/api/projects');
      return {
        title: d.body.session.title,
        projectId: d.body.session.projectId,
        turns: d.body.turns,
        complete: d.body.transcript.complete,
        entries: d.body.transcript.entries.map((e) => `${e.source}:${e.item.type ?? e.item.id}`),
        settings: settings.body.values,
        controls: controls.body.session,
        project: projects.body.projects.find((x) => x.id === p.id)?.name,
      };
    };
    const before = await snapshot();
    expect(before).toMatchObject({ title: 'Survivor', projectId: p.id, complete: true, project: 'Durable' });
    expect(before.entries).toEqual([
      'runtime:userMessage',
      'runtime:reasoning',
      'runtime:agentMessage',
      'supplemental:keep',
    ]);

    const health = async () => (await stack.api<Health>('GET', '/api/health')).body;
    const ready = (pred: (h: Health) => boolean) =>
      until(
        'ready again',
        async () => {
          const h = await health().catch(() => null);
          return h && h.status === 'ready' && pred(h) ? h : null;
        },
        60_000,
      );

    const h0 = await health();
    process.kill(h0.runtime.pid, 'SIGKILL');
    const h1 = await ready((h) => h.runtime.pid !== h0.runtime.pid);
    const bridgePid = h1.services['runtime-bridge']!.instances.find((i) => i.up)!.pid;
    process.kill(bridgePid, 'SIGKILL');
    const h2 = await ready((h) =>
      h.services['runtime-bridge']!.instances.some((i) => i.up && i.pid !== bridgePid),
    );
    const gatewayPid = h2.services.gateway!.instances.find((i) => i.up)!.pid;
    process.kill(gatewayPid, 'SIGKILL');
    await ready((h) => h.services.gateway!.instances.some((i) => i.up && i.pid !== gatewayPid));

    expect(await snapshot()).toEqual(before);
    // The thread resumes from the runtime's own persistence and takes a new turn.
    const next = await stack.api<{ turn: { id: string } }>('POST', `/api/sessions/${s.id}/messages`, {
      text: 'scn:text again',
    });
    expect(next.status).toBe(202);
    expect((await turnEnded(stack, s.id, next.body.turn.id)).status).toBe('completed');
  });
});
