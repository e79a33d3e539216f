import fs from 'node:fs';
import path from 'node:path';
import {
  ConfigError,
  assertSafeBind,
  configHelp,
  createPool,
  loadConfig,
  migrate,
  type ResolvedConfig,
} from '@codex-manager/core';
import { startScriptedModel } from '../scripted-model/server';
import { humanLine } from './console-log';
import { ensureDatabase, startEmbeddedPostgres, type Database } from './postgres';
import { ServiceProcess } from './service-process';
import { waitHealthy } from './wait-healthy';
import { ensureWebBuilt } from './web-build';

const ROOT = path.resolve(__dirname, '../..');
/** Start order; shutdown runs in reverse. */
const SERVICES = ['runtime-bridge', 'queue-worker', 'extension-host', 'gateway'] as const;

const say = (msg: string) => process.stdout.write(`${msg}\n`);

/** Environment for the services: the resolved config, spelled as the variables they read. */
function serviceEnv(
  config: ResolvedConfig,
  databaseUrl: string,
  codexHome: string | undefined,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    CM_HOST: config.host,
    CM_PORT: String(config.port),
    CM_LOG_LEVEL: config.logLevel,
    CM_PARENT_PID: String(process.pid),
    // Flags given to the launcher reach the services too.
    CM_EVENT_BATCH_WINDOW_MS: String(config.eventBatchWindowMs),
    CM_EVENT_HOLD_MS: String(config.eventHoldMs),
    CM_COALESCE_DELTAS: String(config.coalesceDeltas),
    CM_DELTA_RETENTION_MS: String(config.deltaRetentionMs),
  };
  if (codexHome) env.CODEX_HOME = codexHome;
  if (config.apiToken) env.CM_API_TOKEN = config.apiToken;
  if (config.apiTokens?.length)
    env.CM_API_TOKENS = config.apiTokens.map((t) => `${t.role}:${t.token}`).join(',');
  env.CM_QUEUE_ENABLED = String(config.queueEnabled);
  env.CM_QUEUE_CONCURRENCY = String(config.queueConcurrency);
  env.CM_QUEUE_MAX_PENDING = String(config.queueMaxPending);
  env.CM_EXTENSION_ROOTS = config.extensionRoots.join(path.delimiter);
  env.CM_BUNDLED_EXTENSIONS = String(config.bundledExtensions);
  env.CM_EXTENSION_TRUST = config.extensionTrust;
  env.CM_EXTENSION_TIMEOUT_MS = String(config.extensionTimeoutMs);
  if (config.otlpEndpoint) env.OTEL_EXPORTER_OTLP_ENDPOINT = config.otlpEndpoint;
  env.CM_LOCK_DEFAULTS = String(config.lockDefaults);
  return env;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    say(
      `usage: npm start -- [options]\n\nStarts PostgreSQL (embedded unless DATABASE_URL), migrates, runs the four services.\n\n${configHelp()}`,
    );
    return;
  }
  const startedAt = Date.now();
  let config: ResolvedConfig;
  try {
    config = loadConfig({ argv }).config;
    assertSafeBind(config);
  } catch (e) {
    say(e instanceof ConfigError ? e.message : String(e));
    process.exit(2);
  }
  fs.mkdirSync(config.dataDir, { recursive: true });
  const releasers: (() => Promise<unknown>)[] = [];
  let shuttingDown = false;
  const shutdown = async (code: number) => {
    if (shuttingDown) return;
    shuttingDown = true;
    say('stopping…');
    for (const release of releasers.reverse()) await release().catch((e: Error) => say(`  ${e.message}`));
    say('stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  try {
    await ensureWebBuilt(say);
    let db: Database | null = null;
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      say(`starting embedded PostgreSQL in ${path.join(config.dataDir, 'pg')}`);
      db = await startEmbeddedPostgres(path.join(config.dataDir, 'pg'));
      releasers.push(() => db!.stop());
      databaseUrl = await ensureDatabase(db.adminUrl, 'codex_manager');
    }
    const pool = createPool(databaseUrl, { max: 1, applicationName: 'codex-manager-launcher' });
    const applied = await migrate(pool).finally(() => pool.end());
    if (applied.length > 0) say(`applied migrations ${applied.join(', ')}`);

    let codexHome = config.codexHome;
    let defaultCwd = config.defaultCwd;
    let demoModelUrl = config.demoModelUrl;
    if (config.demo) {
      // Demo scenarios write files (out.txt, patched.txt): keep them out of the operator's directories.
      defaultCwd ??= path.join(config.dataDir, 'demo-workspace');
      fs.mkdirSync(defaultCwd, { recursive: true });
      const model = await startScriptedModel();
      releasers.push(() => model.close());
      codexHome = path.join(config.dataDir, 'codex-home-demo');
      demoModelUrl = model.url;
      say(`demo mode: scripted model at ${model.url}, CODEX_HOME=${codexHome}`);
    }

    const env = serviceEnv(config, databaseUrl, codexHome);
    if (defaultCwd) env.CM_DEFAULT_CWD = defaultCwd;
    if (demoModelUrl) env.CM_DEMO_MODEL_URL = demoModelUrl;
    let gatewayUrl: string | null = null;
    let onUrl: (url: string) => void = () => undefined;
    const urlKnown = new Promise<string>((resolve) => (onUrl = resolve));
    for (const name of SERVICES) {
      const proc = new ServiceProcess({
        name,
        entry: path.join(ROOT, 'services', name, 'src', 'main.ts'),
        cwd: ROOT,
        env,
        logFile: path.join(config.dataDir, 'logs', `${name}.log`),
        onLine: (line) => {
          if (name === 'gateway' && line.includes('"gateway.listening"')) {
            gatewayUrl = (JSON.parse(line) as { url: string }).url;
            onUrl(gatewayUrl);
          }
          const human = humanLine(name, line, config.logLevel === 'info' ? 'warn' : config.logLevel);
          if (human) say(human);
        },
        onRestart: ({ code, signal, delayMs }) =>
          say(`${name} exited (code ${code ?? '-'}, signal ${signal ?? '-'}); restarting in ${delayMs} ms`),
      });
      proc.start();
      releasers.push(() => proc.stop());
    }
    const url = await Promise.race([urlKnown, new Promise<null>((r) => setTimeout(() => r(null), 60_000))]);
    if (!url)
      throw new Error(`the gateway did not start; see ${path.join(config.dataDir, 'logs', 'gateway.log')}`);
    const healthToken = config.apiToken ?? config.apiTokens?.[0]?.token;
    const headers: Record<string, string> = healthToken ? { authorization: `Bearer ${healthToken}` } : {};
    const health = await waitHealthy(url, 60_000, headers);
    if (!health.ok) {
      say(`not healthy after 60 s: ${JSON.stringify(health.body)}`);
      say(`logs: ${path.join(config.dataDir, 'logs')}`);
    } else {
      const secs = ((Date.now() - startedAt) / 1000).toFixed(1);
      say(`Codex Manager is ready at ${url} (healthy in ${secs} s). Press Ctrl-C to stop.`);
    }
  } catch (e) {
    say(e instanceof ConfigError ? e.message : `failed to start: ${(e as Error).stack ?? String(e)}`);
    await shutdown(e instanceof ConfigError ? 2 : 1);
  }
}

void main();
