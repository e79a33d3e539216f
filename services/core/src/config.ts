import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { webhookTargets } from './webhooks';

/**
 * Configuration is resolved once per process into a validated `ResolvedConfig` and passed down.
 * Precedence: command-line flag, then environment variable, then default. Nothing else reads
 * `process.env` after startup. Every option is listed in `CONFIG_OPTIONS` (used for `--help` and
 * checked against docs/configuration.md by a test).
 */
export interface ConfigOption {
  key: keyof RawConfig;
  flag: string;
  env: string;
  description: string;
  default?: string;
  /** A switch: `--flag` alone turns it on. */
  boolean?: true;
}

const bool = z
  .union([z.boolean(), z.enum(['1', '0', 'true', 'false', 'yes', 'no', ''])])
  .transform((v) => v === true || v === '1' || v === 'true' || v === 'yes');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const schema = z.object({
  databaseUrl: z.url({ message: 'DATABASE_URL must be a postgres:// URL' }).optional(),
  dataDir: z.string().min(1),
  host: z.string().min(1),
  port: int(0, 65535),
  apiToken: z.string().min(16, 'the API token must be at least 16 characters').optional(),
  apiTokens: z
    .string()
    .transform((v, ctx) => parseRoleTokens(v, ctx))
    .optional(),
  apiTokenFile: z.string().min(1).optional(),
  codexBin: z.string().min(1).optional(),
  codexHome: z.string().min(1).optional(),
  codexAuthSource: z.string().min(1).optional(),
  demoModelUrl: z.url().optional(),
  defaultCwd: z.string().startsWith('/', 'must be an absolute path').optional(),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
  commandTimeoutMs: int(100, 3_600_000),
  heartbeatIntervalMs: int(100, 600_000),
  heartbeatStaleMs: int(200, 3_600_000),
  eventBatchWindowMs: int(0, 1000),
  eventHoldMs: int(0, 1000),
  coalesceDeltas: bool,
  deltaRetentionMs: int(0, 10 * 365 * 24 * 3_600_000),
  otlpEndpoint: z.url().optional(),
  instanceId: z.string().min(1).optional(),
  parentPid: z.coerce.number().int().positive().optional(),
  demo: bool,
  lockDefaults: bool,
  queueEnabled: bool,
  queueConcurrency: int(1, 64),
  queueMaxPending: int(1, 1_000_000),
  extensionRoots: z
    .string()
    .optional()
    .transform((v) => (v ?? '').split(path.delimiter).filter((p) => p.length > 0))
    .pipe(z.array(z.string().startsWith('/', 'each extension root must be an absolute path'))),
  bundledExtensions: bool,
  extensionTrust: z.enum(['disabled', 'warn', 'enforced']),
  extensionTimeoutMs: int(10, 600_000),
  webhooks: webhookTargets.default([]),
  inboxLongTurnMs: int(1000, 86_400_000),
  inboxToolCallGraceMs: int(0, 3_600_000),
  prices: z
    .string()
    .optional()
    .transform((v, ctx) => parsePrices(v, ctx)),
});

const priceSchema = z.record(
  z.string().min(1),
  z
    .object({
      input: z.number().min(0),
      cachedInput: z.number().min(0).optional(),
      output: z.number().min(0),
    })
    .strict(),
);
export type PriceTable = z.infer<typeof priceSchema>;

/** `{"<model>": {"input": 1.25, "cachedInput": 0.125, "output": 10}}`: USD per million tokens. */
function parsePrices(v: string | undefined, ctx: z.RefinementCtx): PriceTable {
  if (!v || !v.trim()) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(v);
  } catch {
    ctx.addIssue({
      code: 'custom',
      message: 'CM_PRICES must be JSON: {"<model>": {"input", "cachedInput", "output"}}',
    });
    return z.NEVER;
  }
  const r = priceSchema.safeParse(raw);
  if (!r.success) {
    ctx.addIssue({
      code: 'custom',
      message: `CM_PRICES: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    });
    return z.NEVER;
  }
  return r.data;
}

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** `viewer:<token>,operator:<token>` → role/token pairs (each token at least 16 characters). */
function parseRoleTokens(v: string, ctx: z.RefinementCtx): { role: Role; token: string }[] {
  const out: { role: Role; token: string }[] = [];
  for (const part of v
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const i = part.indexOf(':');
    const role = part.slice(0, i) as Role;
    const token = part.slice(i + 1);
    if (i < 0 || !ROLES.includes(role)) {
      ctx.addIssue({ code: 'custom', message: 'each entry must be <viewer|operator|admin>:<token>' });
    } else if (token.length < 16) {
      ctx.addIssue({ code: 'custom', message: `the ${role} token must be at least 16 characters` });
    } else out.push({ role, token });
  }
  return out;
}

export type RawConfig = z.input<typeof schema>;
export type ResolvedConfig = z.output<typeof schema>;

export const CONFIG_OPTIONS: ConfigOption[] = [
  {
    key: 'databaseUrl',
    flag: 'database-url',
    env: 'DATABASE_URL',
    description:
      'PostgreSQL connection URL. Unset: `npm start` runs embedded PostgreSQL under the data directory.',
  },
  {
    key: 'dataDir',
    flag: 'data-dir',
    env: 'CM_DATA_DIR',
    description: 'Directory for all local state (embedded database, demo CODEX_HOME, logs).',
    default: '.data',
  },
  {
    key: 'host',
    flag: 'host',
    env: 'CM_HOST',
    description: 'Gateway bind address. A non-loopback address requires CM_API_TOKEN.',
    default: '127.0.0.1',
  },
  {
    key: 'port',
    flag: 'port',
    env: 'CM_PORT',
    description: 'Gateway port (0 picks a free port).',
    default: '8787',
  },
  {
    key: 'apiToken',
    flag: 'api-token',
    env: 'CM_API_TOKEN',
    description:
      'Bearer token required on every API call and stream when set (min. 16 characters); it has the admin role.',
  },
  {
    key: 'apiTokens',
    flag: 'api-tokens',
    env: 'CM_API_TOKENS',
    description:
      'More bearer tokens with a role each: `viewer:<token>,operator:<token>,admin:<token>` (comma-separated).',
  },
  {
    key: 'apiTokenFile',
    flag: 'api-token-file',
    env: 'CM_API_TOKEN_FILE',
    description:
      'File holding the API token when CM_API_TOKEN is unset; generated (random, mode 600) on first start when missing.',
  },
  {
    key: 'codexBin',
    flag: 'codex-bin',
    env: 'CM_CODEX_BIN',
    description: 'Path of the codex binary. Default: the pinned @openai/codex dependency.',
  },
  {
    key: 'codexHome',
    flag: 'codex-home',
    env: 'CODEX_HOME',
    description:
      'Codex home directory (credentials, config.toml, thread storage). Default: ~/.codex; `--demo` uses <data-dir>/codex-home-demo.',
  },
  {
    key: 'codexAuthSource',
    flag: 'codex-auth-source',
    env: 'CM_CODEX_AUTH_SOURCE',
    description:
      'An auth.json copied into CODEX_HOME at start when it exists (compose mounts ~/.codex read-only).',
  },
  {
    key: 'demoModelUrl',
    flag: 'demo-model-url',
    env: 'CM_DEMO_MODEL_URL',
    description:
      'Scripted model base URL: the runtime-bridge writes a CODEX_HOME config pointing Codex at it (set by --demo).',
  },
  {
    key: 'defaultCwd',
    flag: 'default-cwd',
    env: 'CM_DEFAULT_CWD',
    description:
      "Working directory of new sessions that name none. Default: the runtime-bridge's directory; `--demo` uses <data-dir>/demo-workspace.",
  },
  {
    key: 'logLevel',
    flag: 'log-level',
    env: 'CM_LOG_LEVEL',
    description: 'Log level of the JSON logs.',
    default: 'info',
  },
  {
    key: 'commandTimeoutMs',
    flag: 'command-timeout-ms',
    env: 'CM_COMMAND_TIMEOUT_MS',
    description: 'How long the gateway waits for the runtime-bridge to answer a command.',
    default: '30000',
  },
  {
    key: 'heartbeatIntervalMs',
    flag: 'heartbeat-interval-ms',
    env: 'CM_HEARTBEAT_INTERVAL_MS',
    description: 'How often each service writes its heartbeat row.',
    default: '2000',
  },
  {
    key: 'heartbeatStaleMs',
    flag: 'heartbeat-stale-ms',
    env: 'CM_HEARTBEAT_STALE_MS',
    description: 'A heartbeat older than this counts as down in /api/health.',
    default: '10000',
  },
  {
    key: 'eventBatchWindowMs',
    flag: 'event-batch-window-ms',
    env: 'CM_EVENT_BATCH_WINDOW_MS',
    description: 'Runtime notifications arriving within this window are appended in one transaction.',
    default: '2',
  },
  {
    key: 'eventHoldMs',
    flag: 'event-hold-ms',
    env: 'CM_EVENT_HOLD_MS',
    description:
      "Bookkeeping notifications (turn started, warnings, item started/completed, thread status, token usage, rate limits) may wait this long to join the next append; deltas (an item's first one at once), the turn's end and anything else never wait.",
    default: '100',
  },
  {
    key: 'coalesceDeltas',
    flag: 'coalesce-deltas',
    env: 'CM_COALESCE_DELTAS',
    description:
      'Merge consecutive text deltas of one item that arrive in the same batch window into one event (same text, fewer rows; `data.coalesced` counts them).',
    default: 'true',
  },
  {
    key: 'deltaRetentionMs',
    flag: 'delta-retention-ms',
    env: 'CM_DELTA_RETENTION_MS',
    description:
      'Delta events of finished turns older than this are compacted away (item/completed events stay); older stream cursors get `cursor_expired`. 0 keeps everything. Default: 7 days.',
    default: '604800000',
  },
  {
    key: 'otlpEndpoint',
    flag: 'otlp-endpoint',
    env: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    description:
      'OTLP/HTTP endpoint for traces. Unset: spans are not recorded; their ids still flow through rows and logs.',
  },
  {
    key: 'instanceId',
    flag: 'instance-id',
    env: 'CM_INSTANCE_ID',
    description: 'Name of this service instance in heartbeats. Default: <service>-<host>-<pid>.',
  },
  {
    key: 'parentPid',
    flag: 'parent-pid',
    env: 'CM_PARENT_PID',
    description: 'Set by the launcher: a service stops by itself when this process is gone.',
  },
  {
    key: 'demo',
    flag: 'demo',
    env: 'CM_DEMO',
    description: 'Use the scripted model so every flow works offline (launcher only).',
    default: 'false',
    boolean: true,
  },
  {
    key: 'lockDefaults',
    flag: 'lock-defaults',
    env: 'CM_LOCK_DEFAULTS',
    description:
      "Lock the default scope: writes to default controls and settings and to the runtime's config answer 423.",
    default: 'false',
    boolean: true,
  },
  {
    key: 'queueEnabled',
    flag: 'queue-enabled',
    env: 'CM_QUEUE_ENABLED',
    description: 'Run background jobs. `false`: the queue-worker idles and enqueue routes answer 503.',
    default: 'true',
  },
  {
    key: 'queueConcurrency',
    flag: 'queue-concurrency',
    env: 'CM_QUEUE_CONCURRENCY',
    description: 'Jobs one queue-worker runs at the same time.',
    default: '4',
  },
  {
    key: 'queueMaxPending',
    flag: 'queue-max-pending',
    env: 'CM_QUEUE_MAX_PENDING',
    description: 'Unfinished jobs (queued, running, retrying) beyond which enqueueing answers 429.',
    default: '500',
  },
  {
    key: 'extensionRoots',
    flag: 'extension-roots',
    env: 'CM_EXTENSION_ROOTS',
    description:
      'More folders to discover extensions in, separated by `:` (absolute paths), after the bundled `extensions/`.',
  },
  {
    key: 'bundledExtensions',
    flag: 'bundled-extensions',
    env: 'CM_BUNDLED_EXTENSIONS',
    description: 'Load the bundled extensions from `extensions/`.',
    default: 'true',
  },
  {
    key: 'extensionTrust',
    flag: 'extension-trust',
    env: 'CM_EXTENSION_TRUST',
    description:
      'What an extension calling an action it did not declare gets: `enforced` (refused), `warn` (allowed, recorded), `disabled` (no check).',
    default: 'enforced',
  },
  {
    key: 'extensionTimeoutMs',
    flag: 'extension-timeout-ms',
    env: 'CM_EXTENSION_TIMEOUT_MS',
    description: 'How long one extension handler may run for one event before it counts as failed.',
    default: '5000',
  },
  {
    key: 'inboxLongTurnMs',
    flag: 'inbox-long-turn-ms',
    env: 'CM_INBOX_LONG_TURN_MS',
    description: 'A completed turn that ran longer than this lands in the inbox as a `longTurn` item.',
    default: '600000',
  },
  {
    key: 'inboxToolCallGraceMs',
    flag: 'inbox-tool-call-grace-ms',
    env: 'CM_INBOX_TOOL_CALL_GRACE_MS',
    description:
      'A dynamic tool call nobody has answered after this long lands in the inbox (a program serving it answers sooner).',
    default: '10000',
  },
  {
    key: 'prices',
    flag: 'prices',
    env: 'CM_PRICES',
    description:
      'Price table for usage costs, USD per million tokens: `{"<model>": {"input": 1.25, "cachedInput": 0.125, "output": 10}}`. A model not in it has no cost.',
  },
  {
    key: 'webhooks',
    flag: 'webhooks',
    env: 'CM_WEBHOOKS',
    description:
      'Webhook targets of the bundled `webhooks` extension, as JSON: `[{"name", "url", "secret", "kinds": ["approval", …]}]`; each new inbox item of a listed kind is POSTed there, signed with the secret (docs/webhooks.md).',
  },
];

export interface LoadConfigInput {
  argv?: string[];
  env?: NodeJS.ProcessEnv;
  /** Overrides applied after flags and env (used by tests and the launcher). */
  overrides?: Partial<RawConfig>;
  /** Extra flags a program accepts besides the shared ones; returned untouched in `extra`. */
  extraFlags?: Record<string, { type: 'string' | 'boolean' }>;
}

export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`invalid configuration:\n  - ${issues.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(input: LoadConfigInput = {}): {
  config: ResolvedConfig;
  extra: Record<string, string | boolean | undefined>;
} {
  const env = input.env ?? process.env;
  const options: Record<string, { type: 'string' | 'boolean' }> = { ...input.extraFlags };
  for (const o of CONFIG_OPTIONS) options[o.flag] = { type: o.boolean ? 'boolean' : 'string' };
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: input.argv ?? [], options, strict: true, allowPositionals: false })
      .values as Record<string, string | boolean | undefined>;
  } catch (e) {
    throw new ConfigError([(e as Error).message]);
  }
  const raw: Record<string, unknown> = {};
  for (const o of CONFIG_OPTIONS) {
    const fromFlag = values[o.flag];
    const fromEnv = env[o.env];
    const v = fromFlag ?? (fromEnv === '' ? undefined : fromEnv) ?? o.default;
    if (v !== undefined) raw[o.key] = v;
  }
  Object.assign(raw, input.overrides);
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => {
        const opt = CONFIG_OPTIONS.find((o) => o.key === i.path[0]);
        return opt ? `${opt.env} / --${opt.flag}: ${i.message}` : i.message;
      }),
    );
  }
  const config = parsed.data;
  config.dataDir = path.resolve(config.dataDir);
  if (config.apiToken === undefined && config.apiTokenFile)
    config.apiToken = readOrCreateToken(config.apiTokenFile);
  const extra: Record<string, string | boolean | undefined> = {};
  for (const k of Object.keys(input.extraFlags ?? {})) extra[k] = values[k];
  return { config, extra };
}

export function configHelp(): string {
  return CONFIG_OPTIONS.map(
    (o) =>
      `  --${o.flag.padEnd(24)} ${o.env.padEnd(30)} ${o.description}${o.default ? ` (default ${o.default})` : ''}`,
  ).join('\n');
}

function readOrCreateToken(file: string): string {
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, randomBytes(24).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
  }
  const token = fs.readFileSync(file, 'utf8').trim();
  if (token.length < 16) throw new ConfigError([`CM_API_TOKEN_FILE: ${file} holds fewer than 16 characters`]);
  return token;
}

/**
 * Invariant 7: a listener bound beyond loopback needs an API token. Checked by whatever binds the
 * gateway's address (the gateway itself, and the launcher before it starts anything).
 */
export function assertSafeBind(config: ResolvedConfig): void {
  const loopback = ['127.0.0.1', 'localhost', '::1'].includes(config.host);
  if (!loopback && config.apiToken === undefined && (config.apiTokens ?? []).length === 0) {
    throw new ConfigError([
      `CM_HOST / --host: refusing to bind ${config.host} without an API token: set CM_API_TOKEN (or CM_API_TOKEN_FILE) or bind 127.0.0.1`,
    ]);
  }
}
