import { createHash } from 'node:crypto';
import type { Pool } from './db/pool';
import { AppError, ErrorCode } from './errors';

export type IdempotencyBegin = { state: 'new' } | { state: 'replay'; statusCode: number; body: unknown };

export const hashRequest = (parts: unknown[]): string =>
  createHash('sha256').update(JSON.stringify(parts)).digest('hex');

/**
 * Idempotency keys (invariant 4): the first call with a key records its result; a repeat with the
 * same request gets that result again; a repeat with a different request is 422; a repeat while the
 * first is still running is 409. Server-side failures (5xx) release the key so the call can be retried.
 */
export class IdempotencyStore {
  constructor(private readonly pool: Pool) {}

  async begin(scope: string, key: string, requestHash: string): Promise<IdempotencyBegin> {
    const inserted = await this.pool.query(
      `INSERT INTO idempotency_keys (scope, key, request_hash) VALUES ($1, $2, $3)
       ON CONFLICT (scope, key) DO NOTHING RETURNING key`,
      [scope, key, requestHash],
    );
    if (inserted.rowCount === 1) return { state: 'new' };
    const { rows } = await this.pool.query<{
      request_hash: string;
      status_code: number | null;
      response: unknown;
    }>('SELECT request_hash, status_code, response FROM idempotency_keys WHERE scope = $1 AND key = $2', [
      scope,
      key,
    ]);
    const row = rows[0];
    if (!row) return this.begin(scope, key, requestHash); // released between the two statements
    if (row.request_hash !== requestHash) {
      throw new AppError(
        ErrorCode.idempotencyKeyReused,
        'this Idempotency-Key was used for a different request',
        {
          details: { key },
        },
      );
    }
    if (row.status_code === null) {
      throw new AppError(
        ErrorCode.idempotencyInProgress,
        'a request with this Idempotency-Key is still running',
        {
          details: { key },
          suggestion: 'retry after it finishes to get its result',
        },
      );
    }
    return { state: 'replay', statusCode: row.status_code, body: row.response };
  }

  async complete(scope: string, key: string, statusCode: number, body: unknown): Promise<void> {
    if (statusCode >= 500) {
      await this.pool.query('DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2', [scope, key]);
      return;
    }
    await this.pool.query(
      `UPDATE idempotency_keys SET status_code = $3, response = $4, completed_at = now() WHERE scope = $1 AND key = $2`,
      [scope, key, statusCode, JSON.stringify(body ?? null)],
    );
  }
}
