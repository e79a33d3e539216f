import type { NewEvent, PoolClient } from '@codex-manager/core';

/**
 * Read models (sessions, turns) derived from runtime notifications, written in the same transaction
 * as the events themselves. Lists and health never need to call the runtime.
 */
export async function projectEvents(client: PoolClient, events: NewEvent[]): Promise<void> {
  for (const e of events) {
    const method = e.data.method;
    const params = (e.data.params ?? {}) as Record<string, unknown>;
    if (!e.threadId) continue;
    switch (method) {
      case 'thread/status/changed': {
        const status = (params.status as { type?: string } | undefined)?.type;
        if (status) {
          await client.query(`UPDATE sessions SET status = $2, updated_at = now() WHERE id = $1`, [
            e.threadId,
            status,
          ]);
        }
        break;
      }
      case 'turn/started':
      case 'turn/completed': {
        const turn = params.turn as { id: string; status: string; error?: unknown } | undefined;
        if (!turn) break;
        await client.query(
          `INSERT INTO turns (id, session_id, status, error, completed_at)
           SELECT $1, $2, $3, $4, CASE WHEN $3 = 'inProgress' THEN NULL ELSE now() END
           WHERE EXISTS (SELECT 1 FROM sessions WHERE id = $2)
           ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, error = EXCLUDED.error,
             completed_at = EXCLUDED.completed_at
           WHERE turns.status = 'inProgress'`,
          [turn.id, e.threadId, turn.status, turn.error ? JSON.stringify(turn.error) : null],
        );
        if (method === 'turn/completed') {
          await client.query(`UPDATE sessions SET updated_at = now() WHERE id = $1`, [e.threadId]);
        }
        break;
      }
      case 'thread/tokenUsage/updated': {
        if (e.turnId && params.tokenUsage) {
          await client.query(`UPDATE turns SET usage = $2 WHERE id = $1`, [
            e.turnId,
            JSON.stringify(params.tokenUsage),
          ]);
        }
        break;
      }
      default:
        break;
    }
  }
}
