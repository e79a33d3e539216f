import { z } from 'zod';
import { AppError, ErrorCode, notFound, type CommandBus, type Pool } from '@codex-manager/core';
import { route, type RouteSpec } from '../http/route';

export const approvalPolicy = z.enum(['untrusted', 'on-failure', 'on-request', 'never']);
export const sandboxMode = z.enum(['read-only', 'workspace-write', 'danger-full-access']);

/** A tool the session's clients answer (`item/tool/call`); the runtime offers it to the model by name. */
const dynamicTool = z
  .object({
    type: z.literal('function').default('function'),
    name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'name: letters, digits, _ and -, at most 64'),
    description: z.string().max(4000),
    inputSchema: z.record(z.string(), z.unknown()),
  })
  .strict();

/** Per-turn collaboration mode; `plan` lets the model ask the user questions (`item/tool/requestUserInput`). */
const collaborationMode = z
  .object({
    mode: z.enum(['plan', 'default']),
    settings: z
      .object({
        model: z.string().min(1),
        reasoning_effort: z.string().nullable().default(null),
        developer_instructions: z.string().nullable().default(null),
      })
      .strict(),
  })
  .strict();

const createSession = z
  .object({
    cwd: z.string().startsWith('/', 'cwd must be an absolute path').optional(),
    model: z.string().min(1).optional(),
    approvalPolicy: approvalPolicy.optional(),
    sandbox: sandboxMode.optional(),
    title: z.string().min(1).max(200).optional(),
    dynamicTools: z.array(dynamicTool).max(128).optional(),
  })
  .strict();

const sendMessage = z
  .object({
    text: z.string().trim().min(1, 'text must not be empty'),
    model: z.string().min(1).optional(),
    approvalPolicy: approvalPolicy.optional(),
    collaborationMode: collaborationMode.optional(),
  })
  .strict();

export const sessionSchema = z.object({
  id: z.string(),
  title: z.string().nullable(),
  cwd: z.string().nullable(),
  model: z.string().nullable(),
  modelProvider: z.string().nullable(),
  status: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const turnSchema = z.object({
  id: z.string(),
  status: z.string(),
  error: z.unknown(),
  usage: z.unknown(),
  startedAt: z.string(),
  completedAt: z.string().nullable(),
});

const idParams = z.object({ id: z.string().min(1) });

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

interface TurnRow {
  id: string;
  status: string;
  error: unknown;
  usage: unknown;
  started_at: Date;
  completed_at: Date | null;
}

const toSession = (r: SessionRow): z.infer<typeof sessionSchema> => ({
  id: r.id,
  title: r.title,
  cwd: r.cwd,
  model: r.model,
  modelProvider: r.model_provider,
  status: r.status,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

const toTurn = (t: TurnRow): z.infer<typeof turnSchema> => ({
  id: t.id,
  status: t.status,
  error: t.error,
  usage: t.usage,
  startedAt: t.started_at.toISOString(),
  completedAt: t.completed_at?.toISOString() ?? null,
});

export interface SessionDeps {
  pool: Pool;
  bus: CommandBus;
  commandTimeoutMs: number;
  defaultCwd: string | undefined;
}

export function sessionRoutes(deps: SessionDeps): RouteSpec[] {
  const submit = <T>(method: string, params: Record<string, unknown>, threadId: string | null) =>
    deps.bus.submit<T>(method, params, { threadId, timeoutMs: deps.commandTimeoutMs, requestedBy: 'api' });

  async function getSession(id: string): Promise<SessionRow> {
    const { rows } = await deps.pool.query<SessionRow>('SELECT * FROM sessions WHERE id = $1', [id]);
    if (!rows[0]) throw notFound('session', id);
    return rows[0];
  }

  return [
    route({
      method: 'post',
      path: '/sessions',
      operationId: 'sessions.create',
      summary: 'Create a session (a new runtime thread)',
      body: createSession,
      responses: { 201: { description: 'Created', schema: z.object({ session: sessionSchema }) } },
      async handler({ body }) {
        const { title, ...params } = body;
        const runtimeParams: Record<string, unknown> = { ...params, cwd: params.cwd ?? deps.defaultCwd };
        const result = await submit<{ thread: { id: string } }>('thread/start', runtimeParams, null);
        const id = result.thread.id;
        if (title) await deps.pool.query('UPDATE sessions SET title = $2 WHERE id = $1', [id, title]);
        return { status: 201, body: { session: toSession(await getSession(id)) } };
      },
    }),
    route({
      method: 'get',
      path: '/sessions',
      operationId: 'sessions.list',
      summary: 'List sessions, most recently active first',
      responses: { 200: { description: 'Sessions', schema: z.object({ sessions: z.array(sessionSchema) }) } },
      async handler() {
        const { rows } = await deps.pool.query<SessionRow>(
          'SELECT * FROM sessions WHERE NOT system_owned ORDER BY updated_at DESC, id LIMIT 200',
        );
        return { body: { sessions: rows.map(toSession) } };
      },
    }),
    route({
      method: 'get',
      path: '/sessions/:id',
      operationId: 'sessions.get',
      summary: 'A session with its turns',
      params: idParams,
      responses: {
        200: {
          description: 'The session',
          schema: z.object({ session: sessionSchema, turns: z.array(turnSchema) }),
        },
      },
      async handler({ params }) {
        const session = await getSession(params.id);
        const { rows } = await deps.pool.query<TurnRow>(
          'SELECT * FROM turns WHERE session_id = $1 ORDER BY started_at, id',
          [session.id],
        );
        return { body: { session: toSession(session), turns: rows.map(toTurn) } };
      },
    }),
    route({
      method: 'post',
      path: '/sessions/:id/messages',
      operationId: 'sessions.sendMessage',
      summary: 'Send a message: starts a turn whose reply streams on /api/stream',
      params: idParams,
      body: sendMessage,
      responses: {
        202: {
          description: 'The turn started',
          schema: z.object({ sessionId: z.string(), turn: z.object({ id: z.string(), status: z.string() }) }),
        },
      },
      async handler({ params, body }) {
        const session = await getSession(params.id);
        const runtimeParams: Record<string, unknown> = {
          threadId: session.id,
          input: [{ type: 'text', text: body.text, text_elements: [] }],
        };
        if (body.model) runtimeParams.model = body.model;
        if (body.approvalPolicy) runtimeParams.approvalPolicy = body.approvalPolicy;
        if (body.collaborationMode) runtimeParams.collaborationMode = body.collaborationMode;
        const result = await submit<{ turn: { id: string; status: string } }>(
          'turn/start',
          runtimeParams,
          session.id,
        );
        if (!result?.turn?.id) throw new AppError(ErrorCode.runtimeError, 'the runtime returned no turn');
        return {
          status: 202,
          body: { sessionId: session.id, turn: { id: result.turn.id, status: result.turn.status } },
        };
      },
    }),
  ];
}
