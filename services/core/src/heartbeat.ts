import os from 'node:os';
import type { Pool } from './db/pool';
import type { Logger } from './logger';

export type ServiceName = 'gateway' | 'runtime-bridge' | 'queue-worker' | 'extension-host';

/**
 * A service instance's row in service_heartbeats, refreshed every interval. `details` carries
 * service-specific state (the runtime-bridge reports the runtime's state and version there).
 */
export class Heartbeat {
  #timer: NodeJS.Timeout | null = null;
  #status = 'starting';
  #details: Record<string, unknown> = {};
  readonly instanceId: string;

  constructor(
    private readonly pool: Pool,
    private readonly service: ServiceName,
    private readonly intervalMs: number,
    private readonly log: Logger,
    instanceId?: string,
  ) {
    this.instanceId = instanceId ?? `${service}-${os.hostname()}-${process.pid}`;
  }

  async start(): Promise<void> {
    if (this.#timer) return;
    await this.pool.query(
      `INSERT INTO service_heartbeats (instance_id, service, pid, host, status, details)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (instance_id) DO UPDATE SET pid = $3, host = $4, status = $5, details = $6,
         started_at = now(), beat_at = now()`,
      [
        this.instanceId,
        this.service,
        process.pid,
        os.hostname(),
        this.#status,
        JSON.stringify(this.#details),
      ],
    );
    this.#timer = setInterval(() => void this.beat(), this.intervalMs);
    this.#timer.unref();
  }

  /** Updates status/details and writes them at once. */
  async set(status: string, details?: Record<string, unknown>): Promise<void> {
    this.#status = status;
    if (details) this.#details = { ...this.#details, ...details };
    await this.beat();
  }

  async beat(): Promise<void> {
    try {
      await this.pool.query(
        `UPDATE service_heartbeats SET status = $2, details = $3, beat_at = now() WHERE instance_id = $1`,
        [this.instanceId, this.#status, JSON.stringify(this.#details)],
      );
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'heartbeat write failed');
    }
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#status = 'stopped';
    await this.beat();
  }
}
