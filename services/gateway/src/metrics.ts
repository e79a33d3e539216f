import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { INBOX_KINDS, type Pool } from '@codex-manager/core';
import { route, type RouteSpec } from './http/route';

/**
 * Prometheus metrics for `GET /api/metrics`. Request metrics are counted as requests finish; the
 * database-derived ones (turns by status, service liveness, event-log lag) are read at scrape time,
 * so every gateway reports the same state and nothing is kept in step by hand.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly #requests = new Counter({
    name: 'cm_http_requests_total',
    help: 'API requests by operation and status code',
    labelNames: ['operation', 'method', 'status'],
    registers: [this.registry],
  });
  readonly #latency = new Histogram({
    name: 'cm_http_request_duration_seconds',
    help: 'API request latency by operation (streams excluded)',
    labelNames: ['operation', 'method'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  constructor(
    private readonly pool: Pool,
    private readonly hubHead: () => number,
    private readonly streamClients: () => number,
  ) {
    collectDefaultMetrics({ register: this.registry, prefix: 'cm_gateway_' });
    const turns = new Gauge({
      name: 'cm_turns',
      help: 'Turns by status',
      labelNames: ['status'],
      registers: [this.registry],
    });
    const up = new Gauge({
      name: 'cm_service_up',
      help: 'Service instances with a fresh heartbeat',
      labelNames: ['service'],
      registers: [this.registry],
    });
    const head = new Gauge({
      name: 'cm_event_log_head',
      help: 'Newest event seq',
      registers: [this.registry],
    });
    const lag = new Gauge({
      name: 'cm_event_log_lag',
      help: 'Events appended but not yet read, per consumer',
      labelNames: ['consumer'],
      registers: [this.registry],
    });
    const pending = new Gauge({
      name: 'cm_requests_pending',
      help: 'Approvals, questions and tool calls waiting for an answer, by kind',
      labelNames: ['kind'],
      registers: [this.registry],
    });
    const jobs = new Gauge({
      name: 'cm_jobs',
      help: 'Jobs by type and status: queued + running + retrying is the queue depth; completed, failed and canceled are outcomes',
      labelNames: ['type', 'status'],
      registers: [this.registry],
    });
    const inbox = new Gauge({
      name: 'cm_inbox_items',
      help: 'Open inbox items (things waiting for a person), by kind',
      labelNames: ['kind'],
      registers: [this.registry],
    });
    const clients = new Gauge({
      name: 'cm_stream_clients',
      help: 'Connected stream clients of this gateway',
      registers: [this.registry],
    });
    this.#collect = async () => {
      const [t, s, h, p, j, c, i, ic] = await Promise.all([
        pool.query<{ status: string; n: number }>(
          'SELECT status, count(*)::int AS n FROM turns GROUP BY status',
        ),
        pool.query<{ service: string; n: number }>(
          `SELECT service, count(*) FILTER (WHERE status <> 'stopped' AND beat_at > now() - interval '10 seconds')::int AS n
           FROM service_heartbeats GROUP BY service`,
        ),
        pool.query<{ seq: number }>('SELECT seq FROM event_head'),
        pool.query<{ kind: string; n: number }>(
          `SELECT kind, count(*)::int AS n FROM server_requests WHERE status = 'pending' GROUP BY kind`,
        ),
        pool.query<{ type: string; status: string; n: number }>(
          'SELECT type, status, count(*)::int AS n FROM jobs GROUP BY type, status',
        ),
        pool.query<{ name: string; seq: number }>('SELECT name, seq FROM extension_cursors'),
        pool.query<{ kind: string; n: number }>(
          'SELECT kind, count(*)::int AS n FROM inbox_items GROUP BY kind',
        ),
        pool.query<{ seq: string }>('SELECT seq FROM inbox_cursor'),
      ]);
      turns.reset();
      for (const r of t.rows) turns.set({ status: r.status }, r.n);
      up.reset();
      for (const r of s.rows) up.set({ service: r.service }, r.n);
      const dbHead = h.rows[0]?.seq ?? 0;
      head.set(dbHead);
      lag.reset();
      lag.set({ consumer: 'gateway-stream' }, Math.max(0, dbHead - this.hubHead()));
      for (const r of c.rows)
        lag.set({ consumer: `extension:${r.name}` }, Math.max(0, dbHead - Number(r.seq)));
      pending.reset();
      for (const kind of ['commandApproval', 'fileChangeApproval', 'userInput', 'toolCall'])
        pending.set({ kind }, 0);
      for (const r of p.rows) pending.set({ kind: r.kind }, r.n);
      inbox.reset();
      for (const kind of INBOX_KINDS) inbox.set({ kind }, 0);
      for (const r of i.rows) inbox.set({ kind: r.kind }, r.n);
      lag.set({ consumer: 'inbox' }, Math.max(0, dbHead - Number(ic.rows[0]?.seq ?? 0)));
      jobs.reset();
      for (const r of j.rows) jobs.set({ type: r.type, status: r.status }, r.n);
      clients.set(this.streamClients());
    };
  }

  readonly #collect: () => Promise<void>;

  /** Counts every /api request once it finishes, labelled by the route's operationId. */
  middleware: RequestHandler = (req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const operation = (res.locals.operationId as string | undefined) ?? 'unmatched';
      this.#requests.inc({ operation, method: req.method, status: String(res.statusCode) });
      if (!res.getHeader('content-type')?.toString().startsWith('text/event-stream')) {
        this.#latency.observe(
          { operation, method: req.method },
          Number(process.hrtime.bigint() - start) / 1e9,
        );
      }
    });
    next();
  };

  routes(): RouteSpec[] {
    return [
      route({
        method: 'get',
        path: '/metrics',
        operationId: 'system.metrics',
        summary: 'Prometheus metrics',
        responses: { 200: { description: 'Prometheus text exposition format' } },
        handler: async ({ res }) => {
          await this.#collect();
          res.setHeader('content-type', this.registry.contentType);
          res.end(await this.registry.metrics());
        },
      }),
    ];
  }
}
