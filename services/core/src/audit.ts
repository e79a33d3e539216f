import type { Queryable } from './db/pool';

/** Who made a change and through which client: recorded with every audited write and decision. */
export interface Origin {
  /** A user name or `extension:<name>`; `anonymous` when nobody said. */
  actor: string;
  /** Which client: `web`, `cli`, `sdk`, `api`, `extension-host`, `queue-worker`, … */
  source: string;
}

/** An origin plus the service that records the resulting event (the gateway when unset). */
export type Writer = Origin & { service?: string };

/** One changed key of an audited write. */
export interface AuditChange {
  key: string;
  before: unknown;
  after: unknown;
}

export interface AuditEntry {
  target: 'settings' | 'controls' | 'runtimeConfig';
  scope: 'default' | 'session' | 'runtime';
  sessionId: string | null;
  /** `merge`, `replace`, `set`, `delete`, `write`, `batchWrite`, … */
  action: string;
  changes: AuditChange[];
  actor: string;
  source: string;
}

/** Records a write in the audit trail; call it in the transaction of the write itself. */
export async function insertAudit(db: Queryable, e: AuditEntry): Promise<void> {
  await db.query(
    `INSERT INTO settings_audit (target, scope, session_id, action, changes, actor, source)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [e.target, e.scope, e.sessionId, e.action, JSON.stringify(e.changes), e.actor, e.source],
  );
}

/** The per-key differences between two flat objects (deep equality through JSON). */
export function diffKeys(before: Record<string, unknown>, after: Record<string, unknown>): AuditChange[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys
    .filter((k) => stableJson(before[k] ?? null) !== stableJson(after[k] ?? null))
    .map((k) => ({ key: k, before: before[k] ?? null, after: after[k] ?? null }));
}

/** JSON with object keys sorted, so equal values compare equal whatever their key order. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}
