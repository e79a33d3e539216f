import { z } from 'zod';
import {
  AppError,
  ErrorCode,
  lockEventLog,
  notFound,
  withTransaction,
  type Queryable,
} from '@codex-manager/core';
import { originOf } from '../http/origin';
import { route, type RouteSpec } from '../http/route';
import { requireSession, sessionSchema, toSession, type SessionRow } from '../sessions/store';
import { appendEvents, type RouteDeps } from './common';
import { deleteSession } from './sessions';

const projectSchema = z.object({
  id: z.string(),
  name: z.string(),
  sessionCount: z.number().describe('user sessions (not archived or archived) in the project'),
  createdAt: z.string(),
  updatedAt: z.string(),
});

interface ProjectRow {
  id: string;
  name: string;
  session_count: number;
  created_at: Date;
  updated_at: Date;
}

const toProject = (r: ProjectRow): z.infer<typeof projectSchema> => ({
  id: r.id,
  name: r.name,
  sessionCount: r.session_count,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

const SELECT = `SELECT p.*, (SELECT count(*)::int FROM sessions s
                 WHERE s.project_id = p.id AND NOT s.system_owned) AS session_count FROM projects p`;
const name = z.string().trim().min(1, 'name must not be empty').max(100);
const projectParams = z.object({ id: z.uuid() });
const projectBody = z.object({ project: projectSchema });

async function getProject(db: Queryable, id: string): Promise<ProjectRow> {
  const { rows } = await db.query<ProjectRow>(`${SELECT} WHERE p.id = $1`, [id]);
  if (!rows[0]) throw notFound('project', id);
  return rows[0];
}

/** A unique-name violation (SQLSTATE 23505) is the caller's conflict, decided by code. */
async function uniqueName<T>(n: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if ((e as { code?: string }).code === '23505') {
      throw new AppError(ErrorCode.conflict, `a project named "${n}" already exists`, {
        details: { name: n },
      });
    }
    throw e;
  }
}

/** User sessions of a project (worker sessions stay with their jobs). */
async function chatsOf(db: Queryable, projectId: string): Promise<SessionRow[]> {
  const { rows } = await db.query<SessionRow>(
    `SELECT s.*, (SELECT t.id FROM turns t WHERE t.session_id = s.id AND t.status = 'inProgress'
                  LIMIT 1) AS active_turn_id
       FROM sessions s WHERE s.project_id = $1 AND NOT s.system_owned ORDER BY s.created_at, s.id`,
    [projectId],
  );
  return rows;
}

export function projectRoutes(deps: RouteDeps): RouteSpec[] {
  const moveEvents = (ids: string[], projectId: string | null, actor: string) =>
    ids.map((id) => ({ type: 'session.updated', threadId: id, data: { changes: { projectId }, actor } }));
  return [
    route({
      method: 'post',
      path: '/projects',
      operationId: 'projects.create',
      summary: 'Create a project (names are unique, ignoring case)',
      body: z.object({ name }).strict(),
      responses: { 201: { description: 'Created', schema: projectBody } },
      async handler({ body, req }) {
        const row = await uniqueName(body.name, () =>
          withTransaction(deps.pool, async (db) => {
            const { rows } = await db.query<{ id: string }>(
              'INSERT INTO projects (name) VALUES ($1) RETURNING id',
              [body.name],
            );
            const id = rows[0]!.id;
            await appendEvents(db, [
              {
                type: 'project.created',
                data: { projectId: id, name: body.name, actor: originOf(req).actor },
              },
            ]);
            return getProject(db, id);
          }),
        );
        return { status: 201, body: { project: toProject(row) } };
      },
    }),
    route({
      method: 'get',
      path: '/projects',
      operationId: 'projects.list',
      summary: 'List projects by name',
      responses: { 200: { description: 'Projects', schema: z.object({ projects: z.array(projectSchema) }) } },
      async handler() {
        const { rows } = await deps.pool.query<ProjectRow>(`${SELECT} ORDER BY lower(p.name), p.id`);
        return { body: { projects: rows.map(toProject) } };
      },
    }),
    route({
      method: 'get',
      path: '/projects/:id',
      operationId: 'projects.get',
      summary: 'One project',
      params: projectParams,
      responses: { 200: { description: 'The project', schema: projectBody } },
      handler: async ({ params }) => ({
        body: { project: toProject(await getProject(deps.pool, params.id)) },
      }),
    }),
    route({
      method: 'patch',
      path: '/projects/:id',
      operationId: 'projects.rename',
      summary: 'Rename a project',
      params: projectParams,
      body: z.object({ name }).strict(),
      responses: { 200: { description: 'Renamed', schema: projectBody } },
      async handler({ params, body, req }) {
        const row = await uniqueName(body.name, () =>
          withTransaction(deps.pool, async (db) => {
            await getProject(db, params.id);
            await db.query('UPDATE projects SET name = $2, updated_at = now() WHERE id = $1', [
              params.id,
              body.name,
            ]);
            await appendEvents(db, [
              {
                type: 'project.updated',
                data: { projectId: params.id, name: body.name, actor: originOf(req).actor },
              },
            ]);
            return getProject(db, params.id);
          }),
        );
        return { body: { project: toProject(row) } };
      },
    }),
    route({
      method: 'delete',
      path: '/projects/:id',
      operationId: 'projects.delete',
      summary: 'Delete a project; its sessions stay, in no project',
      params: projectParams,
      responses: {
        200: {
          description: 'Deleted',
          schema: z.object({
            id: z.string(),
            deleted: z.literal(true),
            unassignedSessions: z.array(z.string()),
          }),
        },
      },
      async handler({ params, req }) {
        const actor = originOf(req).actor;
        const ids = await withTransaction(deps.pool, async (db) => {
          await lockEventLog(db);
          await getProject(db, params.id);
          const { rows } = await db.query<{ id: string }>(
            'UPDATE sessions SET project_id = NULL WHERE project_id = $1 RETURNING id',
            [params.id],
          );
          await db.query('DELETE FROM projects WHERE id = $1', [params.id]);
          const unassigned = rows.map((r) => r.id);
          await appendEvents(db, [
            ...moveEvents(unassigned, null, actor),
            { type: 'project.deleted', data: { projectId: params.id, actor } },
          ]);
          return unassigned;
        });
        return { body: { id: params.id, deleted: true, unassignedSessions: ids } };
      },
    }),
    ...(['put', 'delete'] as const).map((method) =>
      route({
        method,
        path: '/projects/:id/sessions/:sessionId',
        operationId: method === 'put' ? 'projects.assignSession' : 'projects.unassignSession',
        summary: method === 'put' ? 'Put a session in this project' : 'Take a session out of this project',
        params: z.object({ id: z.uuid(), sessionId: z.string().min(1).max(200) }),
        responses: { 200: { description: 'Done', schema: z.object({ session: sessionSchema }) } },
        async handler({ params, req }) {
          await getProject(deps.pool, params.id);
          const s = await requireSession(deps.pool, params.sessionId, { mutating: true });
          if (method === 'delete' && s.project_id !== params.id) {
            throw new AppError(ErrorCode.conflict, `session ${s.id} is not in project ${params.id}`, {
              details: { projectId: s.project_id },
            });
          }
          const target = method === 'put' ? params.id : null;
          if (s.project_id !== target) {
            await withTransaction(deps.pool, async (db) => {
              await lockEventLog(db);
              await db.query('UPDATE sessions SET project_id = $2 WHERE id = $1', [s.id, target]);
              await appendEvents(db, moveEvents([s.id], target, originOf(req).actor));
            });
          }
          return { body: { session: toSession(await requireSession(deps.pool, s.id)) } };
        },
      }),
    ),
    route({
      method: 'post',
      path: '/projects/:id/move-chats',
      operationId: 'projects.moveChats',
      summary: "Move all of a project's chats to another project (or to none)",
      params: projectParams,
      body: z.object({ targetProjectId: z.uuid().nullable() }).strict(),
      responses: {
        200: { description: 'Moved', schema: z.object({ moved: z.array(z.string()) }) },
      },
      async handler({ params, body, req }) {
        if (body.targetProjectId === params.id)
          throw new AppError(ErrorCode.invalidRequest, 'the target is the project itself');
        const moved = await withTransaction(deps.pool, async (db) => {
          await lockEventLog(db);
          await getProject(db, params.id);
          if (body.targetProjectId) await getProject(db, body.targetProjectId);
          const { rows } = await db.query<{ id: string }>(
            `UPDATE sessions SET project_id = $2 WHERE project_id = $1 AND NOT system_owned RETURNING id`,
            [params.id, body.targetProjectId],
          );
          const ids = rows.map((r) => r.id).sort();
          await appendEvents(db, moveEvents(ids, body.targetProjectId, originOf(req).actor));
          return ids;
        });
        return { body: { moved } };
      },
    }),
    route({
      method: 'delete',
      path: '/projects/:id/chats',
      operationId: 'projects.deleteChats',
      summary: "Delete all of a project's chats (each as DELETE /api/sessions/:id); the project stays",
      description:
        'Sessions are deleted one by one; if one fails the call stops with that error and ' +
        '`details.deleted` lists the ones already gone (calling again continues).',
      params: projectParams,
      responses: {
        200: { description: 'Deleted', schema: z.object({ deleted: z.array(z.string()) }) },
      },
      async handler({ params, req }) {
        await getProject(deps.pool, params.id);
        const deleted: string[] = [];
        for (const s of await chatsOf(deps.pool, params.id)) {
          try {
            await deleteSession(deps, req, s);
          } catch (e) {
            if (e instanceof AppError)
              throw new AppError(e.code, `deleting session ${s.id} failed: ${e.message}`, {
                details: { ...e.details, sessionId: s.id, deleted },
                cause: e,
              });
            throw e;
          }
          deleted.push(s.id);
        }
        return { body: { deleted } };
      },
    }),
  ];
}
