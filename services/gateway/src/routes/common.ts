import type { Request } from 'express';
import { z } from 'zod';
import {
  AppError,
  ErrorCode,
  EventLog,
  type CommandBus,
  type NewEvent,
  type Pool,
  type Queryable,
} from '@codex-manager/core';
import { originOf, type Origin } from '../http/origin';

/** What the session, project, settings and runtime routes need. */
export interface RouteDeps {
  pool: Pool;
  bus: CommandBus;
  commandTimeoutMs: number;
  defaultCwd: string | undefined;
  /** Default-scope writes answer 423 (CM_LOCK_DEFAULTS). */
  lockDefaults: boolean;
}

export const idParams = z.object({ id: z.string().min(1).max(200) });
export const boolQuery = z.enum(['true', 'false']).transform((v) => v === 'true');
export const absolutePath = z.string().startsWith('/', 'must be an absolute path').max(4096);

/** A runtime result passed through as the runtime returned it. */
export const runtimeResult = z.record(z.string(), z.unknown());

export type RuntimeCall = <T = Record<string, unknown>>(
  method: string,
  params: Record<string, unknown>,
  opts?: { threadId?: string | null; timeoutMs?: number },
) => Promise<T>;

/** Submits a runtime command on behalf of this request (its actor is recorded on the row). */
export function runtimeFor(deps: RouteDeps, req: Request): RuntimeCall {
  const origin = originOf(req);
  return (method, params, opts = {}) =>
    deps.bus.submit(method, params, {
      threadId: opts.threadId ?? null,
      timeoutMs: Math.max(opts.timeoutMs ?? 0, deps.commandTimeoutMs),
      requestedBy: `${origin.source}:${origin.actor}`,
    });
}

/** Manager fields of a runtime command: who asked (the bridge records them with its writes). */
export const metaOf = (origin: Origin, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  actor: origin.actor,
  source: origin.source,
  ...extra,
});

export function requireUnlocked(deps: RouteDeps, what: string): void {
  if (!deps.lockDefaults) return;
  throw new AppError(ErrorCode.locked, `${what} is locked by configuration`, {
    suggestion: 'an operator set CM_LOCK_DEFAULTS; change the session scope instead',
  });
}

/** Appends gateway-originated manager events, in the caller's transaction when `db` is one. */
export async function appendEvents(db: Queryable, events: Omit<NewEvent, 'source'>[]): Promise<void> {
  await new EventLog(db).append(
    events.map((e) => ({ ...e, source: 'gateway' })),
    db,
  );
}
