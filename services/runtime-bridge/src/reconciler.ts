import type { EventLog, Logger, NewEvent, Pool } from '@codex-manager/core';

/**
 * Repairs state after an app-server process is gone (crash, kill, or a bridge restart):
 * turns still `inProgress` can never finish, so they become `interrupted` with a `turn.interrupted`
 * event; commands left `running` by a bridge that is no longer alive fail with `runtime_unavailable`.
 *
 * Assumes one runtime-bridge per database (the supported topology today): every in-progress turn
 * belongs to the app-server this bridge supervised.
 */
export class Reconciler {
  constructor(
    private readonly pool: Pool,
    private readonly events: EventLog,
    private readonly log: Logger,
  ) {}

  async interruptOrphanedTurns(reason: string, details: Record<string, unknown> = {}): Promise<number> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ id: string; session_id: string }>(
        `UPDATE turns SET status = 'interrupted', completed_at = now(),
           error = jsonb_build_object('code', 'runtime_restarted', 'message', $1::text)
         WHERE status = 'inProgress' RETURNING id, session_id`,
        [reason],
      );
      if (rows.length > 0) {
        await client.query(
          `UPDATE sessions SET status = 'notLoaded', updated_at = now() WHERE id = ANY($1::text[])`,
          [[...new Set(rows.map((r) => r.session_id))]],
        );
        const events: NewEvent[] = rows.map((r) => ({
          type: 'turn.interrupted',
          threadId: r.session_id,
          turnId: r.id,
          source: 'runtime-bridge',
          data: { reason, ...details },
        }));
        await this.events.append(events, client);
      }
      await client.query('COMMIT');
      if (rows.length > 0)
        this.log.warn({ turns: rows.map((r) => r.id), reason }, 'marked orphaned turns interrupted');
      return rows.length;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }

  /** Commands claimed by a bridge instance other than `self` whose heartbeat is gone or stale. */
  async failAbandonedCommands(self: string, staleMs: number): Promise<number> {
    const { rowCount } = await this.pool.query(
      `WITH dead AS (
         UPDATE runtime_commands c SET status = 'failed', completed_at = now(),
           error = jsonb_build_object('code', 'runtime_unavailable',
             'message', 'the runtime-bridge running this command stopped before it finished')
         WHERE c.status = 'running' AND c.claimed_by IS DISTINCT FROM $1
           AND NOT EXISTS (SELECT 1 FROM service_heartbeats h WHERE h.instance_id = c.claimed_by
                           AND h.status <> 'stopped' AND h.beat_at > now() - make_interval(secs => $2::double precision / 1000))
         RETURNING c.id
       ) SELECT pg_notify('cm_command_done', id::text) FROM dead`,
      [self, staleMs],
    );
    return rowCount ?? 0;
  }
}
