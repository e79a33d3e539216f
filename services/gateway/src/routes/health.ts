import { z } from 'zod';
import type { Pool } from '@codex-manager/core';
import { route, type RouteSpec } from '../http/route';

const SERVICES = ['gateway', 'runtime-bridge', 'queue-worker', 'extension-host'] as const;

interface BeatRow {
  instance_id: string;
  service: string;
  pid: number;
  host: string;
  status: string;
  details: Record<string, unknown>;
  started_at: Date;
  beat_at: Date;
  age_ms: number;
}

/**
 * `GET /api/health`: database, every service's latest heartbeat, the runtime's state and version,
 * auth readiness and the event log head. 200 when everything needed for a turn is up, 503 otherwise
 * (the body is the same shape either way, saying what is missing).
 */
export function healthRoutes(deps: { pool: Pool; staleMs: number; hubHead: () => number }): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/health',
      operationId: 'system.health',
      summary: 'Readiness of the database, each service, the runtime and auth',
      responses: {
        200: { description: 'Ready', schema: z.looseObject({ status: z.string() }) },
        503: { description: 'Not ready; the body says what is missing' },
      },
      handler: () => health(deps),
    }),
  ];
}

async function health(deps: { pool: Pool; staleMs: number; hubHead: () => number }) {
  const t0 = process.hrtime.bigint();
  let dbOk = true;
  let dbError: string | undefined;
  let beats: BeatRow[] = [];
  const queueDepth = { queued: 0, running: 0, retrying: 0 };
  try {
    const { rows } = await deps.pool.query<BeatRow>(
      `SELECT *, (extract(epoch FROM now() - beat_at) * 1000)::int AS age_ms
         FROM service_heartbeats WHERE status <> 'stopped' ORDER BY beat_at DESC`,
    );
    beats = rows;
    const depth = await deps.pool.query<{ status: keyof typeof queueDepth; n: number }>(
      `SELECT status, count(*)::int AS n FROM jobs WHERE status IN ('queued', 'running', 'retrying') GROUP BY status`,
    );
    for (const r of depth.rows) queueDepth[r.status] = r.n;
  } catch (e) {
    dbOk = false;
    dbError = (e as Error).message;
  }
  const latencyMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const services = Object.fromEntries(
    SERVICES.map((name) => {
      const instances = beats
        .filter((b) => b.service === name)
        .map((b) => ({
          instanceId: b.instance_id,
          pid: b.pid,
          host: b.host,
          status: b.status,
          startedAt: b.started_at.toISOString(),
          lastHeartbeatAt: b.beat_at.toISOString(),
          ageMs: b.age_ms,
          up: b.age_ms <= deps.staleMs,
        }));
      return [name, { up: instances.some((i) => i.up), instances }];
    }),
  );
  const bridge = beats.find((b) => b.service === 'runtime-bridge' && b.age_ms <= deps.staleMs);
  const runtime = (bridge?.details.runtime as Record<string, unknown> | undefined) ?? { state: 'unknown' };
  const auth = (bridge?.details.auth as Record<string, unknown> | undefined) ?? null;
  const allUp = Object.values(services).every((s) => s.up);
  const ready = dbOk && allUp && runtime.state === 'ready';
  const body = {
    status: ready ? 'ready' : dbOk ? 'degraded' : 'down',
    database: {
      ok: dbOk,
      latencyMs: Math.round(latencyMs * 100) / 100,
      ...(dbError ? { error: dbError } : {}),
    },
    runtime,
    auth,
    services,
    eventLog: { head: deps.hubHead() },
    queue: { depth: queueDepth },
  };
  return { status: ready ? 200 : 503, body };
}
