import { z } from 'zod';
import {
  AppError,
  ErrorCode,
  approvalPolicySchema,
  controlsSchema,
  notFound,
  sandboxModeSchema,
  toErrorBody,
  type Queryable,
} from '@codex-manager/core';
import { originOf } from '../http/origin';
import { route, type RouteSpec } from '../http/route';
import { listSessions, requireSession, sessionSchema, toSession } from '../sessions/store';
import {
  assembleTranscript,
  transcriptEntrySchema,
  type RuntimeTurn,
  type SupplementalRow,
} from '../sessions/transcript';
import { absolutePath, boolQuery, idParams, metaOf, runtimeFor, type RouteDeps } from './common';

export { sessionSchema } from '../sessions/store';

const dynamicTool = z
  .object({
    type: z.literal('function').default('function'),
    name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and -, at most 64'),
    description: z.string().min(1).max(4000),
    inputSchema: z.record(z.string(), z.unknown()).describe('JSON Schema of the arguments'),
  })
  .strict();

const createSession = z
  .object({
    cwd: absolutePath.optional(),
    title: z.string().trim().min(1).max(200).optional(),
    projectId: z.uuid().optional(),
    model: z.string().trim().min(1).max(200).optional(),
    approvalPolicy: approvalPolicySchema.optional(),
    sandbox: sandboxModeSchema.optional(),
    networkAccess: z.boolean().optional(),
    dynamicTools: z
      .array(dynamicTool)
      .max(64)
      .refine((a) => new Set(a.map((t) => t.name)).size === a.length, 'tool names must be unique')
      .optional(),
    baseInstructions: z.string().max(100_000).optional(),
    developerInstructions: z.string().max(100_000).optional(),
  })
  .strict();

const listQuery = z
  .object({
    projectId: z.union([z.uuid(), z.literal('none')]).optional(),
    archived: z.enum(['true', 'false', 'all']).default('false'),
    q: z.string().trim().min(1).max(200).optional(),
    includeSystemOwned: boolQuery.default(false),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(1000).optional(),
  })
  .strict();

const turnSchema = z.object({
  id: z.string(),
  kind: z.string().describe('turn | review | compact'),
  status: z.string().describe('inProgress | completed | interrupted | failed'),
  error: z.unknown(),
  usage: z.unknown(),
  durationMs: z.number().nullable(),
  startedAt: z.string(),
  completedAt: z.string().nullable(),
});

interface TurnRow {
  id: string;
  kind: string;
  status: string;
  error: unknown;
  usage: unknown;
  duration_ms: number | null;
  started_at: Date;
  completed_at: Date | null;
}

const toTurn = (t: TurnRow): z.infer<typeof turnSchema> => ({
  id: t.id,
  kind: t.kind,
  status: t.status,
  error: t.error ?? null,
  usage: t.usage ?? null,
  durationMs: t.duration_ms,
  startedAt: t.started_at.toISOString(),
  completedAt: t.completed_at?.toISOString() ?? null,
});

const sessionBody = z.object({ session: sessionSchema });

export async function requireProject(db: Queryable, id: string): Promise<void> {
  const { rowCount } = await db.query('SELECT 1 FROM projects WHERE id = $1', [id]);
  if (!rowCount) throw notFound('project', id);
}

export function sessionRoutes(deps: RouteDeps): RouteSpec[] {
  const session = async (id: string) => toSession(await requireSession(deps.pool, id));
  return [
    route({
      method: 'post',
      path: '/sessions',
      operationId: 'sessions.create',
      summary: 'Create a session (a new runtime thread)',
      description:
        'Controls given here (model, approvalPolicy, sandbox, networkAccess) become the session scope; ' +
        'missing ones come from the default scope, then from the runtime.',
      body: createSession,
      responses: { 201: { description: 'Created', schema: sessionBody } },
      async handler({ body, req }) {
        const { cwd, title, projectId, model, approvalPolicy, sandbox, networkAccess, ...rest } = body;
        if (projectId) await requireProject(deps.pool, projectId);
        const controls = controlsSchema.parse({ model, approvalPolicy, sandbox, networkAccess });
        for (const k of Object.keys(controls) as (keyof typeof controls)[])
          if (controls[k] === undefined) delete controls[k];
        const defaults = await deps.pool.query<{ controls: typeof controls }>(
          `SELECT controls FROM controls WHERE scope = 'default' AND session_id = ''`,
        );
        const start = { ...defaults.rows[0]?.controls, ...controls };
        const params: Record<string, unknown> = { ...rest, cwd: cwd ?? deps.defaultCwd };
        if (start.model) params.model = start.model;
        if (start.approvalPolicy) params.approvalPolicy = start.approvalPolicy;
        if (start.sandbox) params.sandbox = start.sandbox;
        params.meta = metaOf(originOf(req), { title, projectId, controls });
        const result = await runtimeFor(deps, req)<{ thread: { id: string } }>('thread/start', params);
        return { status: 201, body: { session: await session(result.thread.id) } };
      },
    }),
    route({
      method: 'get',
      path: '/sessions',
      operationId: 'sessions.list',
      summary: 'List sessions, most recent activity first (from the read model; never calls the runtime)',
      description:
        '`projectId` (or `none`), `archived` (`false` by default, `true`, `all`), `q` (title or first ' +
        'message contains), `includeSystemOwned`; pass `nextCursor` back as `cursor` for the next page.',
      query: listQuery,
      responses: {
        200: {
          description: 'One page',
          schema: z.object({ sessions: z.array(sessionSchema), nextCursor: z.string().nullable() }),
        },
      },
      handler: async ({ query }) => ({ body: await listSessions(deps.pool, query) }),
    }),
    route({
      method: 'get',
      path: '/sessions/:id',
      operationId: 'sessions.get',
      summary: 'A session with its turns and its transcript',
      description:
        'The transcript is read from the runtime (`thread/read`, `thread/turns/list`) and merged with ' +
        'supplemental rows, ordered by turn and item. When the runtime cannot be read the session and ' +
        'turns still come back, with `transcript.complete: false` and the error. `transcript=false` skips it.',
      params: idParams,
      query: z.object({ transcript: boolQuery.default(true) }).strict(),
      responses: {
        200: {
          description: 'The session',
          schema: z.object({
            session: sessionSchema,
            turns: z.array(turnSchema),
            transcript: z
              .object({
                complete: z.boolean(),
                error: z.object({ code: z.string(), message: z.string() }).optional(),
                entries: z.array(transcriptEntrySchema),
              })
              .nullable(),
          }),
        },
      },
      async handler({ params, query, req }) {
        const row = await requireSession(deps.pool, params.id);
        const turns = await deps.pool.query<TurnRow>(
          'SELECT * FROM turns WHERE session_id = $1 ORDER BY started_at, id',
          [row.id],
        );
        let transcript = null;
        if (query.transcript) {
          const rows = await deps.pool.query<SupplementalRow>(
            'SELECT * FROM transcript_rows WHERE session_id = $1',
            [row.id],
          );
          const startedAt = new Map(turns.rows.map((t) => [t.id, t.started_at]));
          try {
            const read = await runtimeFor(deps, req)<{ turns: RuntimeTurn[] }>(
              'session/read',
              { threadId: row.id },
              { threadId: row.id },
            );
            transcript = { complete: true, entries: assembleTranscript(read.turns, rows.rows, startedAt) };
          } catch (e) {
            if (!(e instanceof AppError)) throw e;
            const { code, message } = toErrorBody(e).error;
            transcript = {
              complete: false,
              error: { code, message },
              entries: assembleTranscript([], rows.rows),
            };
          }
        }
        return { body: { session: toSession(row), turns: turns.rows.map(toTurn), transcript } };
      },
    }),
    route({
      method: 'patch',
      path: '/sessions/:id',
      operationId: 'sessions.rename',
      summary: 'Rename a session (the runtime keeps the name too)',
      params: idParams,
      body: z.object({ title: z.string().trim().min(1).max(200) }).strict(),
      responses: { 200: { description: 'Renamed', schema: sessionBody } },
      async handler({ params, body, req }) {
        const row = await requireSession(deps.pool, params.id, { mutating: true });
        await runtimeFor(deps, req)(
          'thread/name/set',
          { threadId: row.id, name: body.title, meta: metaOf(originOf(req)) },
          { threadId: row.id },
        );
        return { body: { session: await session(row.id) } };
      },
    }),
    ...(['archive', 'unarchive'] as const).map((action) =>
      route({
        method: 'post',
        path: `/sessions/:id/${action}`,
        operationId: `sessions.${action}`,
        summary: action === 'archive' ? 'Archive a session' : 'Unarchive a session',
        description: 'Idempotent: archiving an archived session (or the reverse) changes nothing.',
        params: idParams,
        responses: { 200: { description: 'Done', schema: sessionBody } },
        async handler({ params, req }) {
          const row = await requireSession(deps.pool, params.id, { mutating: true });
          const archive = action === 'archive';
          if (row.archived === archive) return { body: { session: toSession(row) } };
          if (archive && row.active_turn_id) {
            throw new AppError(ErrorCode.conflict, `turn ${row.active_turn_id} is in progress`, {
              details: { id: row.id, activeTurnId: row.active_turn_id },
              suggestion: 'interrupt it first',
            });
          }
          await runtimeFor(deps, req)(
            `thread/${action}`,
            { threadId: row.id, meta: metaOf(originOf(req)) },
            { threadId: row.id },
          );
          return { body: { session: await session(row.id) } };
        },
      }),
    ),
    route({
      method: 'delete',
      path: '/sessions/:id',
      operationId: 'sessions.delete',
      summary: 'Delete a session (manager-level; later reads answer 410)',
      description:
        'Interrupts an active turn, archives the runtime thread, removes the manager metadata ' +
        '(turns, transcript rows, controls, settings) and remembers the id.',
      params: idParams,
      responses: {
        200: { description: 'Deleted', schema: z.object({ id: z.string(), deleted: z.literal(true) }) },
      },
      async handler({ params, req }) {
        const row = await requireSession(deps.pool, params.id, { mutating: true });
        await deleteSession(deps, req, row);
        return { body: { id: row.id, deleted: true } };
      },
    }),
    route({
      method: 'post',
      path: '/sessions/:id/resume',
      operationId: 'sessions.resume',
      summary: 'Load the thread into the runtime again (e.g. after a restart)',
      params: idParams,
      responses: { 200: { description: 'Resumed', schema: sessionBody } },
      async handler({ params, req }) {
        const row = await requireSession(deps.pool, params.id, { mutating: true });
        if (row.archived) {
          throw new AppError(ErrorCode.conflict, `session ${row.id} is archived`, {
            suggestion: `POST /api/sessions/${row.id}/unarchive first`,
          });
        }
        await runtimeFor(deps, req)('thread/resume', { threadId: row.id }, { threadId: row.id });
        return { body: { session: await session(row.id) } };
      },
    }),
    route({
      method: 'post',
      path: '/sessions/:id/fork',
      operationId: 'sessions.fork',
      summary: 'Fork a session into a new one (optionally only up to a turn)',
      description: 'The fork keeps the project, controls and settings of its source.',
      params: idParams,
      body: z
        .object({
          lastTurnId: z.string().min(1).max(200).optional().describe('keep turns up to this one, inclusive'),
          title: z.string().trim().min(1).max(200).optional(),
        })
        .strict(),
      responses: { 201: { description: 'The new session', schema: sessionBody } },
      async handler({ params, body, req }) {
        const row = await requireSession(deps.pool, params.id);
        if (body.lastTurnId) {
          const t = await deps.pool.query('SELECT status FROM turns WHERE session_id = $1 AND id = $2', [
            row.id,
            body.lastTurnId,
          ]);
          if (!t.rows[0]) throw notFound('turn', body.lastTurnId);
          if (t.rows[0].status === 'inProgress')
            throw new AppError(ErrorCode.conflict, `turn ${body.lastTurnId} is still in progress`);
        }
        const params_: Record<string, unknown> = { threadId: row.id };
        if (body.lastTurnId) params_.lastTurnId = body.lastTurnId;
        params_.meta = metaOf(originOf(req), { title: body.title, projectId: row.project_id });
        const result = await runtimeFor(deps, req)<{ thread: { id: string } }>('thread/fork', params_, {
          threadId: row.id,
        });
        return { status: 201, body: { session: await session(result.thread.id) } };
      },
    }),
  ];
}

/** Shared by session delete and a project's delete-all-chats. */
export async function deleteSession(
  deps: RouteDeps,
  req: Parameters<typeof runtimeFor>[1],
  row: { id: string; active_turn_id: string | null; archived: boolean },
): Promise<void> {
  await runtimeFor(deps, req)(
    'session/delete',
    {
      threadId: row.id,
      meta: metaOf(originOf(req), { activeTurnId: row.active_turn_id, archived: row.archived }),
    },
    { threadId: row.id },
  );
}
