import fs from 'node:fs';
import path from 'node:path';
import type { EventLog, Heartbeat, Logger } from '@codex-manager/core';
import type { AppServerClient } from './app-server/client';
import type { CommandExecutor } from './command-executor';
import type { EventAppender } from './event-appender';
import { notificationEvent } from './event-mapping';
import type { Reconciler } from './reconciler';
import type { RequestLedger } from './requests/ledger';
import type { RuntimeStatus, RuntimeSupervisor } from './supervisor';
import type { TraceIndex } from './trace-index';

export interface AuthReadiness {
  hasOpenAiApiKey: boolean;
  codexHomeAuthFile: boolean;
  likelyUnauthenticated: boolean;
  requiresOpenaiAuth: boolean | null;
}

/**
 * Connects the supervised runtime to the database: every notification goes to the event log in
 * arrival order, every server request to the request ledger; runtime state changes go to the
 * heartbeat and the log; a crash interrupts orphaned turns (and the ledger expires their requests).
 */
export class Bridge {
  constructor(
    private readonly deps: {
      supervisor: RuntimeSupervisor;
      executor: CommandExecutor;
      appender: EventAppender;
      events: EventLog;
      reconciler: Reconciler;
      requests: RequestLedger;
      heartbeat: Heartbeat;
      traces: TraceIndex;
      codexHome: string;
      env: NodeJS.ProcessEnv;
      log: Logger;
    },
  ) {}

  attach(): void {
    const { supervisor, executor, reconciler, log } = this.deps;
    supervisor.on('ready', (client) => {
      executor.resetLoaded();
      this.#wire(client);
      executor.wake();
      // Health says ready only once auth readiness is known too.
      void this.#refreshAuth(client).finally(() => this.#publish(supervisor.status));
    });
    supervisor.on('crashed', (exit) => {
      executor.resetLoaded();
      void this.deps.appender
        .drain()
        .then(() =>
          reconciler.interruptOrphanedTurns('the runtime exited during the turn', {
            exitCode: exit.code,
            signal: exit.signal,
          }),
        )
        .catch((e: Error) => log.error({ err: e.message }, 'reconcile after crash failed'));
    });
    supervisor.on('status', (s) => {
      if (s.state !== 'ready') this.#publish(s);
    });
  }

  #wire(client: AppServerClient): void {
    const { appender, traces } = this.deps;
    client.on('notification', (method, params) => {
      const e = notificationEvent(method, params);
      const ids = traces.lookup(e.threadId, e.turnId);
      if (ids) Object.assign(e, ids);
      appender.push(e);
      if (method === 'turn/completed' && e.turnId) traces.endTurn(e.turnId);
    });
    // After the notification listener: a request's events follow the notifications before it.
    this.deps.requests.attach(client);
  }

  async #refreshAuth(client: AppServerClient): Promise<void> {
    const { codexHome, env, heartbeat, log } = this.deps;
    let requiresOpenaiAuth: boolean | null = null;
    let hasAccount = false;
    try {
      const r = await client.request<{ account: unknown; requiresOpenaiAuth?: boolean }>(
        'account/read',
        {},
        10_000,
      );
      requiresOpenaiAuth = r.requiresOpenaiAuth ?? null;
      hasAccount = r.account !== null && r.account !== undefined;
    } catch (e) {
      log.warn({ err: (e as Error).message }, 'account/read failed');
    }
    const hasOpenAiApiKey = Boolean(env.OPENAI_API_KEY);
    const codexHomeAuthFile = fs.existsSync(path.join(codexHome, 'auth.json'));
    const auth: AuthReadiness = {
      hasOpenAiApiKey,
      codexHomeAuthFile,
      requiresOpenaiAuth,
      likelyUnauthenticated:
        requiresOpenaiAuth !== false && !hasAccount && !hasOpenAiApiKey && !codexHomeAuthFile,
    };
    await heartbeat.set('running', { auth });
  }

  #publish(s: RuntimeStatus): void {
    const runtime = {
      state: s.state,
      pid: s.pid,
      version: s.version,
      userAgent: s.userAgent,
      restarts: s.restarts,
      lastExit: s.lastExit ? { code: s.lastExit.code, signal: s.lastExit.signal } : null,
    };
    void this.deps.heartbeat.set('running', { runtime });
    this.deps.appender.push({ type: 'runtime.status', source: 'runtime-bridge', data: runtime });
  }
}
