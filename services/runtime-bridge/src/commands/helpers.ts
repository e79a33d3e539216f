import { AppError, ErrorCode, EventLog, type NewEvent, type Queryable } from '@codex-manager/core';
import { RpcCallError } from '../app-server/client';
import type { HandlerContext } from './types';

/**
 * Calls the runtime. A method the binary does not implement is `not_supported` (501) before
 * anything is sent: app-server itself answers an unknown method with the code of bad params.
 */
export async function callRuntime<T = unknown>(
  ctx: HandlerContext,
  method: string,
  params: unknown,
  timeoutMs?: number,
): Promise<T> {
  const table = ctx.methods.peek();
  if (table && !table.all.has(method)) {
    throw new AppError(ErrorCode.notSupported, `the runtime does not implement ${method}`, {
      details: { method },
    });
  }
  return ctx.client.request<T>(method, params, timeoutMs);
}

/** A thread created by an earlier app-server process must be resumed before it takes turns. */
export async function ensureLoaded(ctx: HandlerContext, threadId: string): Promise<void> {
  if (ctx.loaded.has(threadId)) return;
  await callRuntime(ctx, 'thread/resume', { threadId, excludeTurns: true });
  ctx.loaded.add(threadId);
}

export function stringParam(ctx: HandlerContext, name: string): string {
  const v = ctx.row.params[name];
  if (typeof v !== 'string' || v.length === 0)
    throw new AppError(ErrorCode.invalidRequest, `${ctx.row.method} needs ${name}`);
  return v;
}

/** Who asked for a command, recorded with manager events and audit rows. */
export interface CommandOrigin {
  actor: string;
  source: string;
}

/**
 * Manager-owned fields travel next to the runtime's params under `meta`; they are never sent to
 * the runtime.
 */
export function splitMeta<M extends object>(
  params: Record<string, unknown>,
): { runtime: Record<string, unknown>; meta: Partial<M> & Partial<CommandOrigin> } {
  const { meta, ...runtime } = params;
  return { runtime, meta: (meta ?? {}) as Partial<M> & Partial<CommandOrigin> };
}

/** A manager event (`session.*`, `transcript.updated`, …) appended in the caller's transaction. */
export async function appendManagerEvents(db: Queryable, events: Omit<NewEvent, 'source'>[]): Promise<void> {
  await new EventLog(db).append(
    events.map((e) => ({ ...e, source: 'runtime-bridge' })),
    db,
  );
}

/**
 * Gives a thread just created its title in the runtime too, so other clients of this CODEX_HOME see
 * it. The thread exists by now: a refusal must not fail the command and orphan it; the manager
 * keeps the title either way.
 */
export async function nameThread(ctx: HandlerContext, threadId: string, title: string): Promise<void> {
  try {
    await callRuntime(ctx, 'thread/name/set', { threadId, name: title });
  } catch (e) {
    if (!(e instanceof RpcCallError)) throw e;
  }
}
