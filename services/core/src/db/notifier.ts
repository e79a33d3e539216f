import { EventEmitter } from 'node:events';
import pg from 'pg';
import type { Logger } from '../logger';

/**
 * One dedicated LISTEN connection per process, shared by every component that wants wake-ups.
 * Reconnects with backoff when the connection drops and emits `reconnect` so listeners can re-read
 * whatever they may have missed (a NOTIFY sent while disconnected is lost; the data is not).
 */
export class Notifier extends EventEmitter {
  #client: pg.Client | null = null;
  #channels = new Set<string>();
  #stopped = false;
  #connecting: Promise<void> | null = null;
  readonly #url: string;
  readonly #log: Logger | undefined;

  constructor(url: string, log?: Logger) {
    super();
    this.setMaxListeners(0);
    this.#url = url;
    this.#log = log;
  }

  async start(): Promise<void> {
    this.#stopped = false;
    await this.#connect();
  }

  async listen(channel: string): Promise<void> {
    if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`bad channel name ${channel}`);
    if (this.#channels.has(channel)) return;
    this.#channels.add(channel);
    if (this.#client) await this.#client.query(`LISTEN ${channel}`);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    const c = this.#client;
    this.#client = null;
    if (c) await c.end().catch(() => undefined);
  }

  #connect(): Promise<void> {
    if (this.#connecting) return this.#connecting;
    this.#connecting = (async () => {
      let delay = 100;
      for (;;) {
        if (this.#stopped) return;
        const client = new pg.Client({
          connectionString: this.#url,
          application_name: 'codex-manager-listen',
        });
        try {
          await client.connect();
          for (const ch of this.#channels) await client.query(`LISTEN ${ch}`);
          client.on('notification', (n) => this.emit(n.channel, n.payload ?? ''));
          client.on('error', (e) => {
            this.#log?.warn({ err: e.message }, 'listen connection failed; reconnecting');
            void this.#reconnect(client);
          });
          client.on('end', () => void this.#reconnect(client));
          this.#client = client;
          return;
        } catch (e) {
          await client.end().catch(() => undefined);
          if (this.#stopped) return;
          this.#log?.warn({ err: (e as Error).message, retryInMs: delay }, 'listen connection failed');
          await new Promise((r) => setTimeout(r, delay));
          delay = Math.min(delay * 2, 5000);
        }
      }
    })().finally(() => {
      this.#connecting = null;
    });
    return this.#connecting;
  }

  async #reconnect(dead: pg.Client): Promise<void> {
    if (this.#stopped || this.#client !== dead) return;
    this.#client = null;
    dead.removeAllListeners('end');
    await dead.end().catch(() => undefined);
    await this.#connect();
    if (!this.#stopped) this.emit('reconnect');
  }
}
