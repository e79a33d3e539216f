import { Router } from 'express';
import { z } from 'zod';
import { AppError, ErrorCode, notFound, type CommandBus, type Pool } from '@codex-manager/core';
import { parse } from '../http/validate';

const approvalPolicy = z.enum(['untrusted', 'on-failure', 'on-request', 'never']);
const sandbox = z.enum(['read-only', 'workspace-write', 'danger-full-access']);

const createSession = z
  .object({
    cwd: z.string().startsWith('/', 'cwd must be an absolute path').optional(),
    model: z.string().min(1).optional(),
    approvalPolicy: approvalPolicy.optional(),
    sandbox: sandbox.optional(),
    title: z.string().min(1).max(200).optional(),
  })
  .strict();

const sendMessage = z
  .object({
    text: z.string().trim().min(1, 'text must not be empty'),
    model: z.string().min(1).optional(),
    approvalPolicy: approvalPolicy.optional(),
  })
  .strict();

interface SessionRow {
  id: string;
  title: string | null;
  cwd: string | null;
  model: string | null;
  model_provider: string | null;
  status: string;
  created_at: Date;
  updated_at: Date;
}

const toSession = (r: SessionRow) => ({
  id: r.id,
  title: r.title,
  cwd: r.cwd,
  model: r.model,
  modelProvider: r.model_provider,
  status: r.status,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

interface TurnRow {
  id: string;
  status: string;
  error: unknown;
  usage: unknown;
  started_at: Date;
  completed_at: Date | null;
}

const toTurn = (t: TurnRow) => ({
  id: t.id,
  status: t.status,
  error: t.error,
  usage: t.usage,
  startedAt: t.started_at.toISOString(),
  completedAt: t.completed_at?.toISOString() ?? null,
});

export function sessionsRouter(deps: {
  pool: Pool;
  bus: CommandBus;
  commandTimeoutMs: number;
  defaultCwd: string | undefined;
}): Router {
  const { pool, bus } = deps;
  const r = Router();
  const submit = <T>(method: string, params: Record<string, unknown>, threadId: string | null) =>
    bus.submit<T>(method, params, { threadId, timeoutMs: deps.commandTimeoutMs, requestedBy: 'api' });

  async function getSession(id: string): Promise<SessionRow> {
    const { rows } = await pool.query<SessionRow>('SELECT * FROM sessions WHERE id = $1', [id]);
    if (!rows[0]) throw notFound('session', id);
    return rows[0];
  }

  r.post('/', async (req, res) => {
    const body = parse(createSession, req.body ?? {});
    const { title, ...params } = body;
    params.cwd ??= deps.defaultCwd;
    const result = await submit<{ thread: { id: string } }>('thread/start', params, null);
    const id = result.thread.id;
    if (title) await pool.query('UPDATE sessions SET title = $2 WHERE id = $1', [id, title]);
    res.status(201).json({ session: toSession(await getSession(id)) });
  });

  r.get('/', async (_req, res) => {
    const { rows } = await pool.query<SessionRow>(
      'SELECT * FROM sessions WHERE NOT system_owned ORDER BY updated_at DESC, id LIMIT 200',
    );
    res.json({ sessions: rows.map(toSession) });
  });

  r.get('/:id', async (req, res) => {
    const session = await getSession(req.params.id);
    const { rows } = await pool.query<TurnRow>(
      'SELECT * FROM turns WHERE session_id = $1 ORDER BY started_at, id',
      [session.id],
    );
    res.json({ session: toSession(session), turns: rows.map(toTurn) });
  });

  r.post('/:id/messages', async (req, res) => {
    const body = parse(sendMessage, req.body ?? {});
    const session = await getSession(req.params.id);
    const params: Record<string, unknown> = {
      threadId: session.id,
      input: [{ type: 'text', text: body.text, text_elements: [] }],
    };
    if (body.model) params.model = body.model;
    if (body.approvalPolicy) params.approvalPolicy = body.approvalPolicy;
    const result = await submit<{ turn: { id: string; status: string } }>('turn/start', params, session.id);
    if (!result?.turn?.id) throw new AppError(ErrorCode.runtimeError, 'the runtime returned no turn');
    res.status(202).json({ sessionId: session.id, turn: { id: result.turn.id, status: result.turn.status } });
  });

  return r;
}
