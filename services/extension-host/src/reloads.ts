import {
  EXTENSION_RELOAD_CHANNEL,
  type EventLog,
  type Logger,
  type Notifier,
  type Pool,
} from '@codex-manager/core';
import type { ExtensionHost } from './host';
import { WokenLoop } from './woken-loop';

interface ReloadRow {
  id: string;
  requested_by: string;
  source: string;
}

/**
 * Runs reload requests (rows of `extension_reloads`, the audit trail) one at a time: claims the
 * pending one, swaps the set (or keeps the old one on failure), records the outcome and an
 * `extension.reload.*` event. Woken by NOTIFY cm_extension_reload, with a poll as backstop.
 */
export class ReloadWorker {
  readonly #loop: WokenLoop;

  constructor(
    private readonly pool: Pool,
    notifier: Notifier,
    private readonly events: EventLog,
    private readonly host: ExtensionHost,
    private readonly log: Logger,
  ) {
    this.#loop = new WokenLoop({
      notifier,
      channel: EXTENSION_RELOAD_CHANNEL,
      pollMs: 1000,
      work: async () => {
        while (this.#loop.active && (await this.#next()));
      },
      onError: (e) => this.log.error({ err: e.message }, 'reload failed unexpectedly'),
    });
  }

  async start(): Promise<void> {
    // A reload left running by a host that died can never finish.
    await this.pool.query(
      `UPDATE extension_reloads SET status = 'failed', finished_at = now(),
         error = jsonb_build_object('code', 'host_restarted', 'message', 'the extension host stopped during the reload')
       WHERE status = 'running'`,
    );
    await this.#loop.start();
  }

  /** Stops waking and waits for a reload in progress. */
  stop(): Promise<void> {
    return this.#loop.stop();
  }

  /** Runs the oldest pending reload; false when there was none. */
  async #next(): Promise<boolean> {
    const { rows } = await this.pool.query<ReloadRow>(
      `UPDATE extension_reloads SET status = 'running', started_at = now()
       WHERE id = (SELECT id FROM extension_reloads WHERE status = 'pending' ORDER BY created_at LIMIT 1
                   FOR UPDATE SKIP LOCKED)
       RETURNING id, requested_by, source`,
    );
    const r = rows[0];
    if (!r) return false;
    let ok = false;
    let result: Record<string, unknown> | null = null;
    let error: Record<string, unknown> | null = null;
    try {
      const out = await this.host.reload();
      ok = out.ok;
      result = { ...out.summary };
      if (!ok)
        error = {
          code: 'load_failed',
          message: 'some extensions failed to load',
          invalid: out.summary.invalid,
        };
    } catch (e) {
      error = { code: 'error', message: (e as Error).message };
    }
    await this.pool.query(
      `UPDATE extension_reloads SET status = $2, result = $3, error = $4, finished_at = now()
       WHERE id = $1 AND status = 'running'`,
      [r.id, ok ? 'succeeded' : 'failed', result && JSON.stringify(result), error && JSON.stringify(error)],
    );
    await this.events.append([
      {
        type: ok ? 'extension.reload.succeeded' : 'extension.reload.failed',
        source: 'extension-host',
        data: {
          reloadId: r.id,
          requestedBy: r.requested_by,
          ...(result ? { result } : {}),
          ...(error ? { error } : {}),
        },
      },
    ]);
    this.log.info({ reloadId: r.id, ok }, ok ? 'extensions reloaded' : 'reload failed; previous set kept');
    return true;
  }
}
