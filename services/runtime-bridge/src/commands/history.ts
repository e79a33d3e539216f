import { AppError, ErrorCode, lockEventLog } from '@codex-manager/core';
import {
  appendManagerEvents,
  callRuntime,
  ensureLoaded,
  nameThread,
  splitMeta,
  stringParam,
} from './helpers';
import { insertSession, type NewSessionMeta, type RuntimeTurn, type ThreadResult } from './threads';
import type { CommandHandler } from './types';

const secondsToDate = (s: number | null | undefined): Date | null =>
  typeof s === 'number' ? new Date(s * 1000) : null;

/** Operations on a thread's history: fork, rollback, compaction, background terminals. */
export const HISTORY_HANDLERS: Record<string, CommandHandler> = {
  /**
   * A fork is a new session: it keeps the source's project, controls and settings (it continues the
   * same work) and its turns, which keep their ids in the runtime.
   */
  'thread/fork': async (ctx) => {
    const { runtime, meta } = splitMeta<NewSessionMeta>(ctx.row.params);
    const sourceId = stringParam(ctx, 'threadId');
    const result = await callRuntime<ThreadResult>(ctx, 'thread/fork', runtime);
    const threadId = result.thread.id;
    ctx.loaded.add(threadId);
    if (meta.title) await nameThread(ctx, threadId, meta.title);
    return {
      result,
      inTx: async (db) => {
        await lockEventLog(db);
        const { rows } = await db.query<{ dynamic_tools: unknown }>(
          'SELECT dynamic_tools FROM sessions WHERE id = $1',
          [sourceId],
        );
        await insertSession(db, result, meta, rows[0]?.dynamic_tools ?? null);
        // The inner turn of a review is part of the review turn (see session-projection.ts).
        const turns = (result.thread.turns ?? []).filter((t) => !t.rootTurnId || t.rootTurnId === t.id);
        for (const t of turns) {
          await db.query(
            `INSERT INTO turns (id, session_id, status, error, duration_ms, started_at, completed_at, kind, usage)
             SELECT $1, $2, $3, $4, $5, COALESCE($6, now()), $7, COALESCE(src.kind, 'turn'), src.usage
             FROM (SELECT NULL) AS one LEFT JOIN turns src ON src.session_id = $8 AND src.id = $1
             ON CONFLICT DO NOTHING`,
            [
              t.id,
              threadId,
              t.status,
              t.error ? JSON.stringify(t.error) : null,
              t.durationMs ?? null,
              secondsToDate(t.startedAt),
              secondsToDate(t.completedAt),
              sourceId,
            ],
          );
        }
        await db.query(
          `INSERT INTO settings (scope, session_id, key, value)
           SELECT scope, $2, key, value FROM settings WHERE scope = 'session' AND session_id = $1
           ON CONFLICT DO NOTHING`,
          [sourceId, threadId],
        );
        if (!meta.controls || Object.keys(meta.controls).length === 0) {
          await db.query(
            `INSERT INTO controls (scope, session_id, controls)
             SELECT scope, $2, controls FROM controls WHERE scope = 'session' AND session_id = $1
             ON CONFLICT DO NOTHING`,
            [sourceId, threadId],
          );
        }
        await appendManagerEvents(db, [
          {
            type: 'session.created',
            threadId,
            data: { forkedFrom: sourceId, projectId: meta.projectId ?? null, actor: meta.actor ?? 'system' },
          },
        ]);
      },
    };
  },

  /**
   * Rolls back the newest `turns` turns: thread/revert replaces the runtime's history with the prefix
   * before the oldest of them (it does not undo file changes). A review is two runtime turns (an
   * inner one whose `rootTurnId` is the review's id), so turns are counted by root. Their read-model
   * rows and the supplemental transcript rows attached to them go too.
   */
  'session/rollback': async (ctx) => {
    const { meta } = splitMeta(ctx.row.params);
    const threadId = stringParam(ctx, 'threadId');
    const count = ctx.row.params.turns;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1)
      throw new AppError(ErrorCode.invalidRequest, 'turns must be a positive integer');
    await ensureLoaded(ctx, threadId);
    // Newest first, until the turn *before* the N-th group shows (so that group is complete).
    const newest: RuntimeTurn[] = [];
    const groups: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: RuntimeTurn[]; nextCursor: string | null } = await callRuntime(
        ctx,
        'thread/turns/list',
        { threadId, itemsView: 'notLoaded', sortDirection: 'desc', limit: 50, cursor },
      );
      for (const t of page.data) {
        const g = t.rootTurnId ?? t.id;
        if (!groups.includes(g)) groups.push(g);
        if (groups.length > count) break;
        newest.push(t);
      }
      cursor = page.nextCursor;
    } while (cursor && groups.length <= count);
    const removedGroups = groups.slice(0, count);
    if (removedGroups.length < count) {
      throw new AppError(
        ErrorCode.invalidRequest,
        `cannot roll back ${count} turns: the session has ${removedGroups.length}`,
        { details: { turns: count, available: removedGroups.length } },
      );
    }
    if (newest.some((t) => t.status === 'inProgress'))
      throw new AppError(ErrorCode.conflict, 'a turn is in progress; interrupt it before rolling back');
    await callRuntime(ctx, 'thread/revert', { threadId, beforeTurnId: newest.at(-1)!.id });
    const removedIds = [...new Set([...removedGroups, ...newest.map((t) => t.id)])];
    return {
      result: { removedTurnIds: removedGroups },
      inTx: async (db) => {
        await lockEventLog(db);
        await db.query('DELETE FROM turns WHERE session_id = $1 AND id = ANY($2::text[])', [
          threadId,
          removedIds,
        ]);
        await db.query('DELETE FROM transcript_rows WHERE session_id = $1 AND turn_id = ANY($2::text[])', [
          threadId,
          removedIds,
        ]);
        await appendManagerEvents(db, [
          {
            type: 'session.rolledBack',
            threadId,
            data: { removedTurnIds: removedGroups, actor: meta.actor ?? 'system' },
          },
        ]);
      },
    };
  },

  // Compaction runs as a turn of its own; it streams like any other and shows up in the read model.
  'thread/compact/start': async (ctx) => {
    const threadId = stringParam(ctx, 'threadId');
    await ensureLoaded(ctx, threadId);
    return { result: await callRuntime(ctx, 'thread/compact/start', { threadId }) };
  },

  'thread/backgroundTerminals/clean': async (ctx) => {
    const threadId = stringParam(ctx, 'threadId');
    await ensureLoaded(ctx, threadId);
    return { result: await callRuntime(ctx, 'thread/backgroundTerminals/clean', { threadId }) };
  },
};
