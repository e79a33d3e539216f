import { RpcCallError } from '../app-server/client';
import {
  diffKeys,
  insertAudit,
  lockEventLog,
  type Controls,
  type PoolClient,
  type Queryable,
} from '@codex-manager/core';
import {
  appendManagerEvents,
  callRuntime,
  nameThread,
  splitMeta,
  stringParam,
  type CommandOrigin,
} from './helpers';
import type { CommandHandler } from './types';

export { ensureLoaded } from './helpers';

/** The parts of thread/start, thread/fork and thread/resume results the read model keeps. */
export interface ThreadResult {
  thread: {
    id: string;
    name?: string | null;
    preview?: string | null;
    forkedFromId?: string | null;
    status?: { type?: string };
    turns?: RuntimeTurn[];
  };
  model?: string;
  modelProvider?: string;
  cwd?: string;
  approvalPolicy?: unknown;
  sandbox?: unknown;
  reasoningEffort?: string | null;
}

export interface RuntimeTurn {
  id: string;
  rootTurnId?: string | null;
  status: string;
  error?: unknown;
  durationMs?: number | null;
  startedAt?: number | null;
  completedAt?: number | null;
}

/** Manager metadata of a new session (from `meta` of thread/start and thread/fork). */
export interface NewSessionMeta extends CommandOrigin {
  title: string;
  projectId: string;
  controls: Controls;
}

/** Inserts the read-model row of a thread the runtime just created, with its manager metadata. */
// Renames, archiving and project moves leave `updated_at` alone: it orders lists by activity.
export async function insertSession(
  db: PoolClient,
  result: ThreadResult,
  meta: Partial<NewSessionMeta>,
  dynamicTools: unknown,
): Promise<void> {
  const t = result.thread;
  await db.query(
    `INSERT INTO sessions (id, cwd, model, model_provider, status, title, project_id, preview, forked_from,
                           dynamic_tools, approval_policy, sandbox_policy, reasoning_effort)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
     ON CONFLICT (id) DO NOTHING`,
    [
      t.id,
      result.cwd ?? null,
      result.model ?? null,
      result.modelProvider ?? null,
      t.status?.type ?? 'idle',
      meta.title ?? t.name ?? null,
      meta.projectId ?? null,
      t.preview || null,
      t.forkedFromId ?? null,
      dynamicTools === undefined || dynamicTools === null ? null : JSON.stringify(dynamicTools),
      result.approvalPolicy === undefined ? null : JSON.stringify(result.approvalPolicy),
      result.sandbox === undefined ? null : JSON.stringify(result.sandbox),
      result.reasoningEffort ?? null,
    ],
  );
  const controls = meta.controls ?? {};
  if (Object.keys(controls).length > 0) {
    await db.query(
      `INSERT INTO controls (scope, session_id, controls) VALUES ('session', $1, $2)
       ON CONFLICT (scope, session_id) DO UPDATE SET controls = EXCLUDED.controls, updated_at = now()`,
      [t.id, JSON.stringify(controls)],
    );
    await insertAudit(db, {
      target: 'controls',
      scope: 'session',
      sessionId: t.id,
      action: 'replace',
      changes: diffKeys({}, controls),
      actor: meta.actor ?? 'system',
      source: meta.source ?? 'system',
    });
  }
}

async function sessionEvent(db: Queryable, threadId: string, type: string, data: Record<string, unknown>) {
  await appendManagerEvents(db, [{ type, threadId, data }]);
}

export const THREAD_HANDLERS: Record<string, CommandHandler> = {
  'thread/start': async (ctx) => {
    const { runtime, meta } = splitMeta<NewSessionMeta>(ctx.row.params);
    const result = await callRuntime<ThreadResult>(ctx, 'thread/start', runtime);
    const threadId = result.thread.id;
    ctx.loaded.add(threadId);
    // The runtime keeps the name too, so other clients of this CODEX_HOME see the same title.
    if (meta.title) await nameThread(ctx, threadId, meta.title);
    return {
      result,
      inTx: async (db) => {
        await lockEventLog(db);
        await insertSession(db, result, meta, runtime.dynamicTools);
        await sessionEvent(db, threadId, 'session.created', {
          title: meta.title ?? null,
          projectId: meta.projectId ?? null,
          actor: meta.actor ?? 'system',
        });
      },
    };
  },

  'thread/resume': async (ctx) => {
    const threadId = stringParam(ctx, 'threadId');
    const result = await callRuntime<ThreadResult>(ctx, 'thread/resume', { threadId, excludeTurns: true });
    ctx.loaded.add(threadId);
    return {
      result,
      inTx: async (db) => {
        await lockEventLog(db);
        await db.query(`UPDATE sessions SET status = $2, updated_at = now() WHERE id = $1`, [
          threadId,
          result.thread.status?.type ?? 'idle',
        ]);
      },
    };
  },

  'thread/name/set': async (ctx) => {
    const { runtime, meta } = splitMeta(ctx.row.params);
    const threadId = stringParam(ctx, 'threadId');
    const result = await callRuntime(ctx, 'thread/name/set', runtime);
    return {
      result,
      inTx: async (db) => {
        await lockEventLog(db);
        await db.query(`UPDATE sessions SET title = $2 WHERE id = $1`, [threadId, runtime.name]);
        await sessionEvent(db, threadId, 'session.updated', {
          changes: { title: runtime.name },
          actor: meta.actor ?? 'system',
        });
      },
    };
  },

  // Archiving unloads the thread in the runtime: the next turn must resume it.
  'thread/archive': async (ctx) => archiveHandler(ctx, true),
  'thread/unarchive': async (ctx) => archiveHandler(ctx, false),

  /**
   * Manager-level hard delete: an active turn is interrupted, the runtime's thread archived (its
   * rollout stays with the runtime, which refuses to delete threads that forks still reference),
   * and the manager's rows replaced by a tombstone so later reads answer 410.
   */
  'session/delete': async (ctx) => {
    const { meta } = splitMeta<{ activeTurnId: string; archived: boolean }>(ctx.row.params);
    const threadId = stringParam(ctx, 'threadId');
    const bestEffort = async (method: string, params: Record<string, unknown>) => {
      try {
        await callRuntime(ctx, method, params);
      } catch (e) {
        // The thread may have nothing to interrupt or no rollout yet (a thread without turns);
        // neither stops a manager-level delete.
        if (!(e instanceof RpcCallError)) throw e;
      }
    };
    if (meta.activeTurnId) await bestEffort('turn/interrupt', { threadId, turnId: meta.activeTurnId });
    if (!meta.archived) await bestEffort('thread/archive', { threadId });
    ctx.loaded.delete(threadId);
    return {
      result: { deleted: true },
      inTx: async (db) => {
        await lockEventLog(db);
        await db.query(
          `INSERT INTO deleted_sessions (id, title, actor, source)
           SELECT id, title, $2, $3 FROM sessions WHERE id = $1 ON CONFLICT (id) DO NOTHING`,
          [threadId, meta.actor ?? 'system', meta.source ?? 'system'],
        );
        await db.query(`DELETE FROM settings WHERE scope = 'session' AND session_id = $1`, [threadId]);
        await db.query(`DELETE FROM controls WHERE scope = 'session' AND session_id = $1`, [threadId]);
        await db.query(`DELETE FROM sessions WHERE id = $1`, [threadId]); // turns, transcript rows cascade
        await sessionEvent(db, threadId, 'session.deleted', { actor: meta.actor ?? 'system' });
      },
    };
  },

  /**
   * The runtime's transcript of a thread: metadata from thread/read, then every turn with its full
   * items, oldest first (`thread/turns/list`; `thread/read` with `includeTurns` is deprecated and
   * emits a notice on every call). Works for threads that are not loaded.
   */
  'session/read': async (ctx) => {
    const threadId = stringParam(ctx, 'threadId');
    const { thread } = await callRuntime<{ thread: Record<string, unknown> }>(ctx, 'thread/read', {
      threadId,
    });
    const turns: unknown[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: unknown[]; nextCursor: string | null } = await callRuntime(
        ctx,
        'thread/turns/list',
        { threadId, itemsView: 'full', sortDirection: 'asc', limit: 100, cursor },
      );
      turns.push(...page.data);
      cursor = page.nextCursor;
    } while (cursor);
    const { turns: _omit, ...meta } = thread;
    return { result: { thread: meta, turns } };
  },
};

async function archiveHandler(ctx: Parameters<CommandHandler>[0], archive: boolean) {
  const { runtime, meta } = splitMeta(ctx.row.params);
  const threadId = stringParam(ctx, 'threadId');
  const result = await callRuntime(ctx, archive ? 'thread/archive' : 'thread/unarchive', runtime);
  ctx.loaded.delete(threadId);
  return {
    result,
    inTx: async (db: PoolClient) => {
      await lockEventLog(db);
      await db.query(
        `UPDATE sessions SET archived = $2, archived_at = CASE WHEN $2 THEN now() END,
           status = 'notLoaded' WHERE id = $1`,
        [threadId, archive],
      );
      await sessionEvent(db, threadId, 'session.updated', {
        changes: { archived: archive },
        actor: meta.actor ?? 'system',
      });
    },
  };
}
