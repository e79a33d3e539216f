import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { startStack, type Stack } from '../helpers/stack';

// Background work end to end: the launcher's four services, the real codex app-server and the
// scripted model. Jobs run real worker turns; extensions react to real runtime events.
jest.setTimeout(180_000);

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('queue_ext');
});
afterAll(async () => {
  await stack?.stop();
});

interface Job {
  id: string;
  type: string;
  status: string;
  attempts: number;
  output: Record<string, unknown> | null;
  error: { code: string } | null;
  workerThreadId: string | null;
  workerTurnId: string | null;
}
const TERMINAL = ['completed', 'failed', 'canceled'];

async function until<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false>,
  ms = 60_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

const job = async (id: string) => (await stack.api<{ job: Job }>('GET', `/api/jobs/${id}`)).body.job;
const jobWhere = (id: string, pred: (j: Job) => boolean, what: string, ms?: number) =>
  until(
    what,
    async () => {
      const j = await job(id);
      return pred(j) ? j : null;
    },
    ms,
  );
const finished = (id: string, ms?: number) =>
  jobWhere(id, (j) => TERMINAL.includes(j.status), `job ${id} to finish`, ms);

async function newSession(): Promise<string> {
  const res = await stack.api<{ session: { id: string } }>('POST', '/api/sessions', {});
  expect(res.status).toBe(201);
  return res.body.session.id;
}

async function completedTurn(sessionId: string, text: string): Promise<string> {
  const res = await stack.api<{ turn: { id: string } }>('POST', `/api/sessions/${sessionId}/messages`, {
    text,
  });
  expect(res.status).toBe(202);
  const turnId = res.body.turn.id;
  await until('the turn to complete', async () => {
    const { rows } = await stack.db.pool.query(`SELECT status FROM turns WHERE id = $1`, [turnId]);
    return rows[0]?.status === 'completed';
  });
  return turnId;
}

async function enqueueInstruction(payload: Record<string, unknown>): Promise<Job> {
  const res = await stack.api<{ job: Job }>('POST', '/api/jobs', { type: 'instruction', payload });
  expect(res.status).toBe(202);
  return res.body.job;
}

describe('jobs in worker sessions', () => {
  it('runs an instruction turn in a hidden worker session and completes with its reply', async () => {
    const session = await newSession();
    const first = await enqueueInstruction({
      owner: `session:${session}`,
      agent: 'helper',
      instruction: 'scn:text',
    });
    const done = await finished(first.id);
    expect(done.status).toBe('completed');
    expect(done.output).toMatchObject({ kind: 'assistant_text', text: 'Hello from the scripted model.' });
    const none = await finished(
      (
        await enqueueInstruction({
          owner: `session:${session}`,
          agent: 'helper',
          instruction: 'scn:echo NONE',
        })
      ).id,
    );
    expect(none.output).toMatchObject({ kind: 'none' });
    // The worker session is created once, reused, and hidden from the session list.
    expect(none.workerThreadId).toBe(done.workerThreadId);
    const { rows } = await stack.db.pool.query(
      `SELECT system_owned, worker_key FROM sessions WHERE id = $1`,
      [done.workerThreadId],
    );
    expect(rows[0]).toEqual({ system_owned: true, worker_key: `session:${session}::helper` });
    const list = await stack.api<{ sessions: { id: string }[] }>('GET', '/api/sessions');
    expect(list.body.sessions.map((s) => s.id)).toContain(session);
    expect(list.body.sessions.map((s) => s.id)).not.toContain(done.workerThreadId);
    const events = await stack.db.pool.query(
      `SELECT type FROM events WHERE data->>'jobId' = $1 ORDER BY seq`,
      [first.id],
    );
    expect(events.rows.map((r) => r.type)).toEqual(['job.queued', 'job.started', 'job.completed']);
  });

  it('carries out action intents of the reply through the action API, with provenance', async () => {
    const session = await newSession();
    const intents = {
      actions: [{ action: 'renameSession', params: { sessionId: session, title: 'Named by a worker' } }],
    };
    const j = await enqueueInstruction({
      owner: 'project-intents',
      agent: 'renamer',
      instruction: `scn:echo ${JSON.stringify(intents)}`,
      applyIntents: true,
    });
    const done = await finished(j.id);
    expect(done.output).toMatchObject({
      kind: 'action_intents',
      results: [{ action: 'renameSession', outcome: 'ok' }],
    });
    const detail = await stack.api<{ session: { title: string } }>('GET', `/api/sessions/${session}`);
    expect(detail.body.session.title).toBe('Named by a worker');
    const { rows } = await stack.db.pool.query(
      `SELECT data FROM events WHERE type = 'extension.action' AND thread_id = $1 ORDER BY seq`,
      [session],
    );
    expect(rows[0].data).toMatchObject({
      actor: 'extension:instruction',
      action: 'renameSession',
      outcome: 'ok',
    });
  });

  it('replaces a stale worker session once and completes the job in the new one', async () => {
    const stale = '00000000-0000-7000-8000-000000000abc';
    await stack.db.pool.query(
      `INSERT INTO sessions (id, system_owned, worker_key) VALUES ($1, true, 'project-stale::helper')`,
      [stale],
    );
    const j = await enqueueInstruction({ owner: 'project-stale', agent: 'helper', instruction: 'scn:text' });
    const done = await finished(j.id);
    expect(done.status).toBe('completed');
    expect(done.workerThreadId).not.toBe(stale);
    const { rows } = await stack.db.pool.query(
      `SELECT id, worker_key, status FROM sessions WHERE id = ANY($1)`,
      [[stale, done.workerThreadId]],
    );
    expect(rows.find((r) => r.id === stale)).toMatchObject({ worker_key: null, status: 'stale' });
    expect(rows.find((r) => r.id === done.workerThreadId)).toMatchObject({
      worker_key: 'project-stale::helper',
    });
    const ev = await stack.db.pool.query(
      `SELECT data FROM events WHERE type = 'session.worker.reprovisioned'`,
    );
    expect(ev.rows.map((r) => r.data.staleSessionId)).toContain(stale);
  });

  it('auto-titles an untitled session after its first turn (bundled auto-title extension)', async () => {
    const session = await newSession();
    await completedTurn(session, 'scn:text Plan the release notes');
    await until('the title', async () => {
      const d = await stack.api<{ session: { title: string | null } }>('GET', `/api/sessions/${session}`);
      return d.body.session.title === 'scn:text Plan the release notes';
    });
  });

  it("suggests a session's next request: run waits for it, a second while one is unfinished is 409", async () => {
    const session = await newSession();
    const turnId = await completedTurn(session, 'scn:text Hello');
    const queued = await stack.api<{ job: Job }>('POST', `/api/sessions/${session}/suggest-request/enqueue`);
    expect(queued.status).toBe(202);
    const again = await stack.api<{ error: { code: string; details: { jobId: string } } }>(
      'POST',
      `/api/sessions/${session}/suggest-request/enqueue`,
    );
    expect(again.status).toBe(409);
    expect(again.body.error.details.jobId).toBe(queued.body.job.id);
    const done = await finished(queued.body.job.id);
    expect(done.status).toBe('completed');
    expect(done.output).toMatchObject({ kind: 'assistant_text', forTurnId: turnId, transcriptRow: 'ok' });
    const row = await stack.db.pool.query(
      `SELECT data FROM events WHERE type = 'transcript.updated' AND thread_id = $1 ORDER BY seq DESC LIMIT 1`,
      [session],
    );
    expect(row.rows[0].data.row).toMatchObject({
      id: `suggestion:${turnId}`,
      kind: 'suggestion',
      actor: 'extension:suggest-request',
      source: 'queue-worker',
      content: { text: done.output!.suggestion, data: { forTurnId: turnId, jobId: queued.body.job.id } },
    });

    const run = await stack.api<{ job: Job; suggestion: string }>(
      'POST',
      `/api/sessions/${session}/suggest-request`,
      {},
    );
    expect(run.status).toBe(200);
    expect(run.body.job.status).toBe('completed');
    expect(run.body.suggestion).toEqual(expect.any(String));
    expect((await stack.api('POST', '/api/sessions/nope/suggest-request', {})).status).toBe(404);
    expect((await stack.api('POST', `/api/sessions/${done.workerThreadId}/suggest-request`, {})).status).toBe(
      403,
    );
  });

  it('cancel ends a running job canceled and interrupts its worker turn; retry queues it again', async () => {
    const j = await enqueueInstruction({
      owner: 'project-cancel',
      agent: 'slow',
      instruction: 'scn:slow:100x100',
    });
    const running = await jobWhere(
      j.id,
      (x) => x.status === 'running' && x.workerTurnId !== null,
      'the worker turn',
    );
    const res = await stack.api<{ job: Job; outcome: string }>('POST', `/api/jobs/${j.id}/cancel`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ outcome: 'canceled', job: { status: 'canceled' } });
    await until('the worker turn to be interrupted', async () => {
      const { rows } = await stack.db.pool.query(`SELECT status FROM turns WHERE id = $1`, [
        running.workerTurnId,
      ]);
      return rows[0]?.status === 'interrupted';
    });
    expect((await stack.api<{ outcome: string }>('POST', `/api/jobs/${j.id}/cancel`)).body.outcome).toBe(
      'already_resolved',
    );
    const retried = await stack.api<{ job: Job }>('POST', `/api/jobs/${j.id}/retry`);
    expect(retried.body.job.status).toBe('queued');
    await jobWhere(j.id, (x) => x.status === 'running', 'the retry to start');
    await stack.api('POST', `/api/jobs/${j.id}/cancel`);
    expect((await finished(j.id)).status).toBe('canceled');
    const list = await stack.api<{ jobs: Job[] }>('GET', '/api/jobs?status=canceled&type=instruction');
    expect(list.body.jobs.map((x) => x.id)).toContain(j.id);
    // Queue depth and outcomes are metrics too.
    const metrics = await (await fetch(`${stack.url}/api/metrics`)).text();
    expect(metrics).toMatch(/cm_jobs\{type="instruction",status="canceled"\} [1-9]/);
    expect(metrics).toMatch(/cm_jobs\{type="instruction",status="completed"\} [1-9]/);
  });

  it('kill -9 of the queue-worker mid-job: it restarts and every job ends in a terminal state', async () => {
    const jobs = await Promise.all(
      ['k1', 'k2', 'k3'].map((k) =>
        enqueueInstruction({ owner: `project-${k}`, agent: 'slow', instruction: 'scn:slow:30x100' }),
      ),
    );
    for (const j of jobs)
      await jobWhere(j.id, (x) => x.status === 'running' && x.workerTurnId !== null, 'running');
    const health = await stack.api<{
      services: Record<string, { instances: { pid: number; up: boolean }[] }>;
    }>('GET', '/api/health');
    const pid = health.body.services['queue-worker']!.instances.find((i) => i.up)!.pid;
    process.kill(pid, 'SIGKILL');
    const ends = await Promise.all(jobs.map((j) => finished(j.id, 120_000)));
    for (const e of ends) {
      expect(e.status).toBe('completed');
      expect(e.attempts).toBe(2);
    }
    const { rows } = await stack.db.pool.query(
      `SELECT data->>'jobId' AS id, data->'error'->>'code' AS code FROM events
       WHERE type = 'job.retrying' AND data->>'jobId' = ANY($1::text[])`,
      [jobs.map((j) => j.id)],
    );
    expect(rows.map((r) => r.code)).toEqual(['worker_lost', 'worker_lost', 'worker_lost']);
    const after = await stack.api<{
      services: Record<string, { instances: { pid: number; up: boolean }[] }>;
    }>('GET', '/api/health');
    expect(after.body.services['queue-worker']!.instances.some((i) => i.up && i.pid !== pid)).toBe(true);
  });
});

describe('extensions', () => {
  it('lists the bundled extensions, reloads with an audit entry, and refuses a concurrent reload', async () => {
    const inv = await stack.api<{
      extensions: { name: string; state: string; origin: string }[];
      host: { up: boolean };
    }>('GET', '/api/extensions');
    expect(inv.status).toBe(200);
    expect(inv.body.host.up).toBe(true);
    expect(
      inv.body.extensions
        .filter((e) => e.state === 'active')
        .map((e) => e.name)
        .sort(),
    ).toEqual(['auto-title', 'example-failure-note', 'suggest-request', 'supervisor', 'webhooks']);
    expect(new Set(inv.body.extensions.map((e) => e.origin))).toEqual(new Set(['bundled']));
    const reload = await stack.api<{ reload: { id: string; status: string } }>(
      'POST',
      '/api/extensions/reload',
      {},
      {
        'x-actor': 'ops-alice',
      },
    );
    expect(reload.status).toBe(200);
    expect(reload.body.reload.status).toBe('succeeded');
    const audit = await stack.api<{ reloads: { id: string; requestedBy: string }[] }>(
      'GET',
      '/api/extensions/audit',
    );
    expect(audit.body.reloads[0]).toMatchObject({ id: reload.body.reload.id, requestedBy: 'ops-alice' });

    // A reload that is still pending blocks another one.
    const { rows } = await stack.db.pool.query<{ id: string }>(
      `INSERT INTO extension_reloads (requested_by, source, status) VALUES ('other', 'test', 'running') RETURNING id`,
    );
    const busy = await stack.api<{ error: { code: string; details: { reloadId: string } } }>(
      'POST',
      '/api/extensions/reload',
      {},
    );
    expect(busy.status).toBe(409);
    expect(busy.body.error.details.reloadId).toBe(rows[0]!.id);
    await stack.db.pool.query(`DELETE FROM extension_reloads WHERE id = $1`, [rows[0]!.id]);
  });

  it('suggests after every turn of a session whose setting suggestions.auto is on (and only there)', async () => {
    const on = await newSession();
    const off = await newSession();
    const set = await stack.api('PUT', `/api/sessions/${on}/settings/suggestions.auto`, { value: true });
    expect(set.status).toBe(200);
    const turnOn = await completedTurn(on, 'scn:text Hello');
    const turnOff = await completedTurn(off, 'scn:text Hello');
    const row = await until('the automatic suggestion', async () => {
      const { rows } = await stack.db.pool.query(
        `SELECT kind, actor, content FROM transcript_rows WHERE session_id = $1 AND id = $2`,
        [on, `suggestion:${turnOn}`],
      );
      return rows[0];
    });
    expect(row).toMatchObject({ kind: 'suggestion', actor: 'extension:suggest-request' });
    expect(row.content).toEqual({ text: expect.any(String), data: expect.any(Object) });
    // The session without the setting got no suggestion job at all.
    const jobs = await stack.api<{ jobs: Job[] }>('GET', `/api/jobs?sessionId=${off}&type=suggest-request`);
    expect(jobs.body.jobs).toEqual([]);
    expect(turnOff).toEqual(expect.any(String));
  });

  it('the supervisor decides approvals as the session setting says, recorded as its own decision', async () => {
    const cwd = path.join(stack.dataDir, 'supervised');
    mkdirSync(cwd, { recursive: true });
    const created = await stack.api<{ session: { id: string } }>('POST', '/api/sessions', {
      cwd,
      approvalPolicy: 'untrusted',
      sandbox: 'workspace-write',
    });
    const session = created.body.session.id;
    const policy = await stack.api('PUT', `/api/sessions/${session}/settings/supervisor.autoApprove`, {
      value: { commands: 'accept' },
    });
    expect(policy.status).toBe(200);
    const turnId = await completedTurn(session, 'scn:exec');
    const { rows } = await stack.db.pool.query(
      `SELECT status, decision, resolved_actor, resolved_source FROM server_requests WHERE turn_id = $1`,
      [turnId],
    );
    expect(rows).toEqual([
      {
        status: 'resolved',
        decision: 'accept',
        resolved_actor: 'extension:supervisor',
        resolved_source: 'extension-host',
      },
    ]);
  });

  it('the example extension notes a failed turn in the transcript', async () => {
    const session = await newSession();
    const res = await stack.api<{ turn: { id: string } }>('POST', `/api/sessions/${session}/messages`, {
      text: 'scn:http500',
    });
    await until('the failure note', async () => {
      const { rows } = await stack.db.pool.query(
        `SELECT data FROM events WHERE type = 'transcript.updated' AND thread_id = $1`,
        [session],
      );
      return rows.find((r) => r.data.row.id === `failure-note:${res.body.turn.id}`);
    });
  });
});
