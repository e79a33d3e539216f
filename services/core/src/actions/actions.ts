import type { z } from 'zod';
import type { CommandBus } from '../commands/command-bus';
import type { Pool } from '../db/pool';
import { AppError, ErrorCode, invalidRequest } from '../errors';
import { EventLog } from '../events/event-log';
import type { JobQueue } from '../queue/job-queue';
import type { Origin } from '../audit';
import type { ApprovalDecisions, SettingsStore, TranscriptRows } from './backends';
import {
  decideApprovalParams,
  enqueueParams,
  readSettingParams,
  renameSessionParams,
  steerParams,
  upsertTranscriptRowParams,
  writeSettingParams,
  type ActionIntent,
  type ActionName,
  type ActionOutcome,
  type ActionResult,
} from './intents';

export interface ActionDeps {
  pool: Pool;
  bus: CommandBus;
  queue: JobQueue | null;
  transcript: TranscriptRows;
  settings: SettingsStore;
  approvals: ApprovalDecisions;
  commandTimeoutMs: number;
}

export interface Provenance {
  /** `extension:<name>` for an extension, or the job's requester for a job's side effects. */
  actor: string;
  /** The service acting (`extension-host`, `queue-worker`); the `source` of the events. */
  source: string;
  /** Called before each action: the extension host's capability check (trust modes). */
  guard?: (action: ActionName) => void;
}

function parse<S extends z.ZodType>(schema: S, input: unknown, action: string): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  throw invalidRequest(
    `invalid ${action} parameters: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
  );
}

interface SessionRow {
  id: string;
  title: string | null;
  system_owned: boolean;
}

/**
 * The typed action API: one function per action, each bound to a provenance that every resulting
 * event records. Side effects of extensions and jobs go through here, never through the CLI or raw
 * SQL of their own. Races with a user resolve to `already_resolved`, `not_eligible` or `conflict`:
 * results, not errors. Bad parameters throw `invalid_request`.
 */
export class Actions {
  readonly #events: EventLog;

  constructor(
    private readonly deps: ActionDeps,
    readonly provenance: Provenance,
  ) {
    this.#events = new EventLog(deps.pool);
  }

  /** Rename a session (not a worker session). `ifTitle` makes it a compare-and-set. */
  async renameSession(input: z.input<typeof renameSessionParams>): Promise<ActionResult> {
    const p = this.#begin('renameSession', renameSessionParams, input);
    const session = await this.#session(p.sessionId);
    if (!session) return this.#done('renameSession', p.sessionId, 'not_eligible', 'no such session');
    if (session.system_owned)
      return this.#done('renameSession', p.sessionId, 'not_eligible', 'worker sessions keep their name');
    if (session.title === p.title) return this.#done('renameSession', p.sessionId, 'already_resolved');
    if (p.ifTitle !== undefined && session.title !== p.ifTitle) {
      return this.#done('renameSession', p.sessionId, 'conflict', 'the title changed meanwhile', {
        title: session.title,
      });
    }
    return this.#runtime('renameSession', p.sessionId, 'thread/name/set', {
      threadId: p.sessionId,
      name: p.title,
    });
  }

  /** Add input to the session's running turn. */
  async steer(input: z.input<typeof steerParams>): Promise<ActionResult> {
    const p = this.#begin('steer', steerParams, input);
    const session = await this.#session(p.sessionId);
    if (!session) return this.#done('steer', p.sessionId, 'not_eligible', 'no such session');
    const { rows } = await this.deps.pool.query<{ id: string }>(
      `SELECT id FROM turns WHERE session_id = $1 AND status = 'inProgress' ORDER BY started_at DESC LIMIT 1`,
      [p.sessionId],
    );
    const active = rows[0]?.id;
    if (!active) return this.#done('steer', p.sessionId, 'not_eligible', 'no turn is running');
    if (p.expectedTurnId && p.expectedTurnId !== active)
      return this.#done('steer', p.sessionId, 'conflict', 'another turn is running', { turnId: active });
    return this.#runtime('steer', p.sessionId, 'turn/steer', {
      threadId: p.sessionId,
      expectedTurnId: active,
      input: [{ type: 'text', text: p.text, text_elements: [] }],
    });
  }

  async upsertTranscriptRow(input: z.input<typeof upsertTranscriptRowParams>): Promise<ActionResult> {
    const p = this.#begin('upsertTranscriptRow', upsertTranscriptRowParams, input);
    const r = await this.deps.transcript.upsert(p, this.#by());
    return this.#done('upsertTranscriptRow', p.sessionId, r.outcome, r.detail, { rowId: p.rowId });
  }

  async writeSetting(input: z.input<typeof writeSettingParams>): Promise<ActionResult> {
    const p = this.#begin('writeSetting', writeSettingParams, input);
    const r = await this.deps.settings.write(p.scope, p.key, p.value, this.#by());
    return this.#done('writeSetting', sessionOfScope(p.scope), r.outcome, r.detail, {
      scope: p.scope,
      key: p.key,
    });
  }

  /** Not an action with effects (no event): the value of a setting, `undefined` when unset. */
  async readSetting(input: z.input<typeof readSettingParams>): Promise<unknown> {
    const p = this.#begin('readSetting', readSettingParams, input);
    return this.deps.settings.read(p.scope, p.key);
  }

  async decideApproval(input: z.input<typeof decideApprovalParams>): Promise<ActionResult> {
    const p = this.#begin('decideApproval', decideApprovalParams, input);
    const r = await this.deps.approvals.decide(p.requestId, p.decision, this.#by());
    return this.#done('decideApproval', undefined, r.outcome, r.detail, {
      requestId: p.requestId,
      decision: p.decision,
    });
  }

  /** Enqueue a job; an unfinished job with the same dedupe key makes this `already_resolved`. */
  async enqueue(input: z.input<typeof enqueueParams>): Promise<ActionResult> {
    const p = this.#begin('enqueue', enqueueParams, input);
    if (!this.deps.queue)
      throw new AppError(ErrorCode.queueUnavailable, 'the job queue is not available here');
    const { job, deduped } = await this.deps.queue.enqueue(p.type, p.payload, {
      dedupeKey: p.dedupeKey,
      priority: p.priority,
      sessionId: p.sessionId,
      requestedBy: this.provenance.actor,
      source: this.provenance.source,
    });
    return this.#done(
      'enqueue',
      p.sessionId,
      deduped ? 'already_resolved' : 'ok',
      deduped ? 'deduped' : undefined,
      {
        jobId: job.id,
        jobType: job.type,
      },
    );
  }

  /** Carries out one `action_intent` of a worker turn's reply. */
  async apply(intent: ActionIntent): Promise<ActionResult> {
    switch (intent.action) {
      case 'decideApproval':
        return this.decideApproval(intent.params);
      case 'steer':
        return this.steer(intent.params);
      case 'upsertTranscriptRow':
        return this.upsertTranscriptRow(intent.params);
      case 'renameSession':
        return this.renameSession(intent.params);
      case 'writeSetting':
        return this.writeSetting(intent.params);
      case 'enqueue':
        return this.enqueue(intent.params);
    }
  }

  /** The provenance as an audit origin: the actor, and the acting service as its source. */
  #by(): Origin {
    return { actor: this.provenance.actor, source: this.provenance.source };
  }

  #begin<S extends z.ZodType>(action: ActionName, schema: S, input: unknown): z.output<S> {
    this.provenance.guard?.(action);
    return parse(schema, input, action);
  }

  async #session(id: string): Promise<SessionRow | null> {
    const { rows } = await this.deps.pool.query<SessionRow>(
      'SELECT id, title, system_owned FROM sessions WHERE id = $1',
      [id],
    );
    return rows[0] ?? null;
  }

  /** A runtime call through the command bus; runtime refusals become outcomes, not errors. */
  async #runtime(
    action: ActionName,
    sessionId: string,
    method: string,
    params: Record<string, unknown>,
  ): Promise<ActionResult> {
    try {
      await this.deps.bus.submit(method, params, {
        threadId: sessionId,
        timeoutMs: this.deps.commandTimeoutMs,
        requestedBy: this.provenance.actor,
      });
      return this.#done(action, sessionId, 'ok');
    } catch (e) {
      if (e instanceof AppError && e.code === ErrorCode.notSupported)
        return this.#done(action, sessionId, 'not_supported', e.message);
      if (e instanceof AppError && e.code === ErrorCode.invalidRequest)
        return this.#done(action, sessionId, 'not_eligible', e.message);
      throw e;
    }
  }

  /** Every action leaves an `extension.action` event naming who did what with which outcome. */
  async #done(
    action: ActionName,
    sessionId: string | undefined,
    outcome: ActionOutcome,
    detail?: string,
    data?: Record<string, unknown>,
  ): Promise<ActionResult> {
    const result: ActionResult = { action, outcome };
    if (detail) result.detail = detail;
    if (data) result.data = data;
    await this.#events.append([
      {
        type: 'extension.action',
        ...(sessionId ? { threadId: sessionId } : {}),
        source: this.provenance.source,
        data: { actor: this.provenance.actor, ...result },
      },
    ]);
    return result;
  }
}

const sessionOfScope = (scope: string): string | undefined =>
  scope.startsWith('session:') ? scope.slice('session:'.length) : undefined;
