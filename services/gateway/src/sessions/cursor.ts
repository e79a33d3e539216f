import { invalidRequest } from '@codex-manager/core';

/**
 * Keyset cursor of the session list: the sort key of the last row of a page. The timestamp travels
 * as PostgreSQL's own text form so it round-trips at full microsecond precision (a JS Date would
 * drop the microseconds and repeat or skip rows that share a millisecond).
 */
export interface SessionCursor {
  /** `updated_at::text` of the last row. */
  t: string;
  /** Its id: the tie-breaker between rows with the same timestamp. */
  id: string;
}

export function encodeCursor(c: SessionCursor): string {
  return Buffer.from(JSON.stringify({ v: 1, t: c.t, id: c.id })).toString('base64url');
}

export function decodeCursor(s: string): SessionCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }
  const c = parsed as { v?: unknown; t?: unknown; id?: unknown } | null;
  if (
    !c ||
    c.v !== 1 ||
    typeof c.t !== 'string' ||
    typeof c.id !== 'string' ||
    !/^\d{4}-\d{2}-\d{2}[ T][\d:.]+([+-]\d{2}(:\d{2})?)?$/.test(c.t)
  ) {
    throw invalidRequest('cursor is not a cursor returned by this API', { cursor: s });
  }
  return { t: c.t, id: c.id };
}
