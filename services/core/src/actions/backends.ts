import type { Queryable } from '../db/pool';
import { EventLog } from '../events/event-log';
import type { ActionOutcome } from './intents';

/**
 * Backends of the actions whose state another part of the manager owns. Each is an interface so the
 * owner plugs in its implementation; the ones below are what this build has.
 */

export interface TranscriptRowInput {
  sessionId: string;
  rowId: string;
  kind: string;
  text: string;
  data?: Record<string, unknown> | undefined;
  actor: string;
}

/** Supplemental transcript rows (stable id, upserted). */
export interface TranscriptRows {
  upsert(row: TranscriptRowInput, source: string): Promise<{ outcome: ActionOutcome; detail?: string }>;
}

/** Settings per scope (`default`, `session:<id>`, `project:<id>`), every write audited. */
export interface SettingsStore {
  read(scope: string, key: string): Promise<unknown>;
  write(
    scope: string,
    key: string,
    value: unknown,
    actor: string,
  ): Promise<{ outcome: ActionOutcome; detail?: string }>;
}

/** Durable pending approvals and their exactly-once decisions. */
export interface ApprovalDecisions {
  decide(
    requestId: string,
    decision: 'accept' | 'acceptForSession' | 'decline' | 'cancel',
    actor: string,
  ): Promise<{ outcome: ActionOutcome; detail?: string }>;
}

/**
 * Transcript rows as `transcript.updated` events on the log (the stream family clients already
 * render). The durable supplemental-rows table replaces this with an implementation that writes the
 * row and the same event in one transaction.
 */
export class EventTranscriptRows implements TranscriptRows {
  readonly #events: EventLog;
  constructor(private readonly db: Queryable) {
    this.#events = new EventLog(db);
  }

  async upsert(
    row: TranscriptRowInput,
    source: string,
  ): Promise<{ outcome: ActionOutcome; detail?: string }> {
    const { rows } = await this.db.query<{ system_owned: boolean }>(
      'SELECT system_owned FROM sessions WHERE id = $1',
      [row.sessionId],
    );
    if (!rows[0]) return { outcome: 'not_eligible', detail: `session ${row.sessionId} does not exist` };
    await this.#events.append([
      {
        type: 'transcript.updated',
        threadId: row.sessionId,
        source,
        data: {
          op: 'upsert',
          row: {
            id: row.rowId,
            kind: row.kind,
            text: row.text,
            ...(row.data ? { data: row.data } : {}),
            provenance: row.actor,
          },
        },
      },
    ]);
    return { outcome: 'ok' };
  }
}

/** No settings store in this build: reads find nothing, writes are `not_supported`. */
export class NoSettings implements SettingsStore {
  async read(): Promise<unknown> {
    return undefined;
  }
  async write(): Promise<{ outcome: ActionOutcome; detail?: string }> {
    return { outcome: 'not_supported', detail: 'this build has no settings store' };
  }
}

/** No durable approvals in this build: decisions are `not_supported`. */
export class NoApprovals implements ApprovalDecisions {
  async decide(): Promise<{ outcome: ActionOutcome; detail?: string }> {
    return { outcome: 'not_supported', detail: 'this build does not store approvals durably' };
  }
}
