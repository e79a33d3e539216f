import {
  AppError,
  ErrorCode,
  controlsSchema,
  loadControls,
  LOCK_EVENT_LOG,
  resolveControls,
  sandboxPolicyFor,
  type EffectiveControls,
} from '@codex-manager/core';
import { RpcCallError } from '../app-server/client';
import { callRuntime, ensureLoaded, stringParam } from './helpers';
import type { CommandHandler, HandlerContext } from './types';

interface TurnResult {
  turn: { id: string; status: string };
}

/** How long interrupt waits for the runtime to end the turn (observed: 10–70 ms). */
const INTERRUPT_WAIT_MS = 5000;

/**
 * turn/start with the session's effective controls. `controls` in the params are per-turn overrides
 * (`{model?, approvalPolicy?, sandbox?, networkAccess?}`); `collaborationMode: "plan"|"default"` is
 * expanded with the effective model. Runtime-native `model`, `approvalPolicy` or `sandboxPolicy`
 * given by the caller win over both.
 */
async function applyControls(
  ctx: HandlerContext,
  threadId: string,
  params: Record<string, unknown>,
): Promise<{ runtime: Record<string, unknown>; effective: EffectiveControls }> {
  const { controls: overrides, ...runtime } = params;
  const turn = controlsSchema.safeParse(overrides ?? {});
  if (!turn.success) throw new AppError(ErrorCode.invalidRequest, 'invalid per-turn controls');
  const stored = await loadControls(ctx.db, threadId);
  const effective = resolveControls({ turn: turn.data, ...stored });
  const v = effective.values;
  if (v.model && runtime.model === undefined) runtime.model = v.model;
  if (v.approvalPolicy && runtime.approvalPolicy === undefined) runtime.approvalPolicy = v.approvalPolicy;
  if (v.sandbox && runtime.sandboxPolicy === undefined) {
    const net = v.networkAccess ?? v.sandbox === 'danger-full-access';
    runtime.sandboxPolicy = sandboxPolicyFor(v.sandbox, net, stored.sandboxPolicy);
  }
  if (typeof runtime.collaborationMode === 'string') {
    runtime.collaborationMode = {
      mode: runtime.collaborationMode,
      settings: { model: v.model ?? '', reasoning_effort: null, developer_instructions: null },
    };
  }
  return { runtime, effective };
}

/** Turn settings app-server keeps for the thread's later turns once a turn was started with them. */
const STICKY = ['model', 'approvalPolicy', 'sandboxPolicy'] as const;

/**
 * turn/start without the sticky settings the thread was last sent with the same value. A failed
 * start, or one in a collaboration mode (which sets the thread's settings itself), leaves them unknown:
 * the next turn sends them all.
 */
async function startTurn(
  ctx: HandlerContext,
  threadId: string,
  runtime: Record<string, unknown>,
): Promise<TurnResult> {
  const sent = ctx.loaded.sent(threadId);
  const params = { ...runtime };
  for (const key of STICKY) {
    if (params[key] !== undefined && sent.get(key) === JSON.stringify(params[key])) delete params[key];
  }
  try {
    const result = await callRuntime<TurnResult>(ctx, 'turn/start', params);
    if (params.collaborationMode !== undefined) sent.clear();
    else for (const key of STICKY) if (params[key] !== undefined) sent.set(key, JSON.stringify(params[key]));
    return result;
  } catch (e) {
    sent.clear();
    throw e;
  }
}

/** A steer or interrupt refused by the runtime means the turn is no longer (or not yet) active. */
function asConflict(e: unknown, what: string): unknown {
  if (e instanceof RpcCallError && e.rpc.code === -32600) {
    return new AppError(ErrorCode.conflict, `cannot ${what}: ${e.rpc.message}`, {
      details: { rpcCode: e.rpc.code },
    });
  }
  return e;
}

export const TURN_HANDLERS: Record<string, CommandHandler> = {
  'turn/start': async (ctx) => {
    const threadId = stringParam(ctx, 'threadId');
    const { runtime, effective } = await applyControls(ctx, threadId, ctx.row.params);
    await ensureLoaded(ctx, threadId);
    const result = await startTurn(ctx, threadId, runtime);
    const turn = result.turn;
    return {
      result: { ...result, controls: effective },
      turnId: turn.id,
      inTx: [
        LOCK_EVENT_LOG,
        {
          text: `INSERT INTO turns (id, session_id, status) VALUES ($1, $2, 'inProgress') ON CONFLICT DO NOTHING`,
          values: [turn.id, threadId],
        },
      ],
    };
  },

  'turn/steer': async (ctx) => {
    stringParam(ctx, 'threadId');
    try {
      return { result: await callRuntime(ctx, 'turn/steer', ctx.row.params) };
    } catch (e) {
      throw asConflict(e, 'steer the turn');
    }
  },

  /**
   * Interrupts and waits (bounded) for the runtime to end the turn, so the caller learns the final
   * status and the read model already shows it when the call returns.
   */
  'turn/interrupt': async (ctx) => {
    const threadId = stringParam(ctx, 'threadId');
    const turnId = stringParam(ctx, 'turnId');
    let onNote: ((method: string, params: Record<string, unknown>) => void) | undefined;
    const ended = new Promise<string | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), INTERRUPT_WAIT_MS);
      onNote = (method, params) => {
        const t = params.turn as { id?: string; status?: string } | undefined;
        if (method === 'turn/completed' && params.threadId === threadId && t?.id === turnId) {
          clearTimeout(timer);
          resolve(t.status ?? 'interrupted');
        }
      };
      ctx.client.on('notification', onNote);
    });
    try {
      await callRuntime(ctx, 'turn/interrupt', { threadId, turnId });
    } catch (e) {
      ctx.client.off('notification', onNote!);
      throw asConflict(e, 'interrupt the turn');
    }
    const status = await ended;
    ctx.client.off('notification', onNote!);
    return {
      result: { turnId, status: status ?? 'interrupting' },
      inTx: status
        ? [
            LOCK_EVENT_LOG,
            {
              text: `UPDATE turns SET status = $3, completed_at = COALESCE(completed_at, now())
                     WHERE session_id = $1 AND id = $2 AND status = 'inProgress'`,
              values: [threadId, turnId, status],
            },
          ]
        : undefined,
    };
  },

  'review/start': async (ctx) => {
    const threadId = stringParam(ctx, 'threadId');
    await ensureLoaded(ctx, threadId);
    const result = await callRuntime<TurnResult>(ctx, 'review/start', ctx.row.params);
    return {
      result,
      turnId: result.turn.id,
      inTx: [
        LOCK_EVENT_LOG,
        {
          text: `INSERT INTO turns (id, session_id, status, kind) VALUES ($1, $2, 'inProgress', 'review')
                 ON CONFLICT DO NOTHING`,
          values: [result.turn.id, threadId],
        },
      ],
    };
  },
};
