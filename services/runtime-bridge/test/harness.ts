import http from 'node:http';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import {
  CommandBus,
  EventLog,
  Heartbeat,
  IdempotencyStore,
  Notifier,
  createLogger,
  type EventEnvelope,
} from '@codex-manager/core';
import { writeScriptedCodexHome } from '../src/codex-home';
import { startScriptedModel, type ScriptedModel } from '../../../ops/scripted-model/server';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db';
import { createApp } from '../../gateway/src/app';
import { EventHub } from '../../gateway/src/stream/event-hub';
import { AppServerClient } from '../src/app-server/client';
import { resolveCodexBinary } from '../src/app-server/codex-bin';
import type { RequestId } from '../src/app-server/protocol';
import { Bridge } from '../src/bridge';
import { CommandExecutor } from '../src/command-executor';
import { COMMAND_HANDLERS } from '../src/commands';
import { EventAppender } from '../src/event-appender';
import { projectEvents } from '../src/projector';
import { Reconciler } from '../src/reconciler';
import { requestCommandHandlers } from '../src/requests/commands';
import { RequestLedger } from '../src/requests/ledger';
import { RuntimeSupervisor } from '../src/supervisor';
import { RuntimeMethods } from '../src/runtime-methods';
import { TraceIndex } from '../src/trace-index';

const REPO = path.resolve(__dirname, '../../..');

/** Every answer written to an app-server, in order: the wire-level record exactly-once is judged by. */
export interface Answer {
  pid: number | undefined;
  id: RequestId;
  result: unknown;
}

/**
 * The runtime-bridge wired as its main.ts wires it, plus the gateway app, in this process: a real
 * database, the real codex app-server and the scripted model. Every `respond` to app-server is
 * recorded (the real method still runs).
 */
export interface Harness {
  url: string;
  db: TestDatabase;
  root: string;
  supervisor: RuntimeSupervisor;
  ledger: RequestLedger;
  bus: CommandBus;
  answers: Answer[];
  api<T = unknown>(
    method: string,
    route: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: T }>;
  /** Events of the log, oldest first (read from the database). */
  events(filter?: (e: EventEnvelope) => boolean): Promise<EventEnvelope[]>;
  waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs?: number): Promise<T>;
  freshDir(name: string): string;
  stop(): Promise<void>;
}

export async function startHarness(label: string): Promise<Harness> {
  const root = path.join(REPO, '.data/test', `${label}-${process.pid}`);
  mkdirSync(root, { recursive: true });
  const db = await createTestDatabase(label);
  const log = createLogger('test', process.env.CM_TEST_LOG ?? 'silent');
  const model: ScriptedModel = await startScriptedModel();
  const codexHome = path.join(root, 'codex-home');
  writeScriptedCodexHome(codexHome, model.url);

  const answers: Answer[] = [];
  const respond = AppServerClient.prototype.respond;
  AppServerClient.prototype.respond = function (this: AppServerClient, id: RequestId, result: unknown) {
    answers.push({ pid: this.pid, id, result });
    respond.call(this, id, result);
  };

  const notifier = new Notifier(db.url, log);
  await notifier.start();
  const events = new EventLog(db.pool);
  const bus = new CommandBus(db.pool, notifier);
  await bus.start();
  const heartbeat = new Heartbeat(db.pool, 'runtime-bridge', 60_000, log, `bridge-${label}`);
  await heartbeat.start();
  const traces = new TraceIndex();
  const supervisor = new RuntimeSupervisor({ codex: resolveCodexBinary(), codexHome, cwd: root, log });
  const appender = new EventAppender(events, projectEvents, 2, log);
  const ledger = new RequestLedger({ pool: db.pool, events, appender, traces, log, sweepMs: 500 });
  const methods = new RuntimeMethods({ bin: resolveCodexBinary().bin, codexHome, log });
  const executor = new CommandExecutor(
    bus,
    notifier,
    supervisor,
    traces,
    heartbeat.instanceId,
    log,
    { db: db.pool, methods },
    { ...COMMAND_HANDLERS, ...requestCommandHandlers(ledger) },
  );
  new Bridge({
    supervisor,
    executor,
    appender,
    events,
    reconciler: new Reconciler(db.pool, events, log),
    requests: ledger,
    heartbeat,
    traces,
    codexHome,
    env: process.env,
    log,
  }).attach();
  await supervisor.start();
  await executor.start();
  ledger.start();

  const hub = new EventHub(events, notifier, log);
  await hub.start();
  const server = http.createServer(
    createApp({
      pool: db.pool,
      bus,
      hub,
      idempotencyStore: new IdempotencyStore(db.pool),
      log,
      apiToken: undefined,
      commandTimeoutMs: 30_000,
      defaultCwd: root,
      heartbeatStaleMs: 60_000,
      webRoot: path.join(REPO, 'web/public'),
      lockDefaults: false,
    }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const harness: Harness = {
    url,
    db,
    root,
    supervisor,
    ledger,
    bus,
    answers,
    async api(method, route, body, headers = {}) {
      const res = await fetch(url + route, {
        method,
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : null) as never };
    },
    async events(filter = () => true) {
      const out: EventEnvelope[] = [];
      for (let after = 0; ;) {
        const page = await events.read(after, { limit: 1000 });
        out.push(...page.events);
        if (page.lastSeq === after) break;
        after = page.lastSeq;
      }
      return out.filter(filter);
    },
    async waitFor(what, fn, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const v = await fn();
        if (v) return v;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    freshDir(name) {
      return mkdtempSync(path.join(root, `${name}-`));
    },
    async stop() {
      hub.stop();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await ledger.stop();
      await executor.stop();
      await supervisor.stop();
      await appender.drain();
      bus.stop();
      await heartbeat.stop();
      await notifier.stop();
      await model.close();
      AppServerClient.prototype.respond = respond;
      await db.drop();
      rmSync(root, { recursive: true, force: true });
    },
  };
  return harness;
}
