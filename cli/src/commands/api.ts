import { Command, InvalidArgumentError, Option } from 'commander';
import { readFrames } from '../api/sse';
import { commandSpecOf, kebab, requestOf, type CommandSpec, type FlagSpec } from '../api/mapping';
import type { Operation } from '../api/openapi';
import { Context, type CliDeps } from '../context';

/**
 * One command per API route, built at load time from the OpenAPI document: `cmgr <group> <action>`
 * (`cmgr sessions send-message <session> --text hi`). Routes owned by a hand-written command (the
 * stream viewer) are skipped here.
 */
const GROUP_DESCRIPTIONS: Record<string, string> = {
  system: 'Health, metrics and the API description',
  sessions: 'Sessions: runtime threads plus manager metadata',
  projects: 'Projects and the sessions in them',
  approvals: 'Command and file-change approvals',
  'tool-input': 'Questions the runtime asks the user',
  'tool-calls': 'Dynamic tool calls waiting for a response',
  controls: 'Per-session and default controls (model, approval policy, sandbox, network)',
  settings: 'Key/value settings per scope',
  jobs: 'Background jobs',
  extensions: 'Extensions: inventory, reload, audit',
  account: 'The runtime account: login, logout, rate limits',
  runtime: 'Runtime passthroughs: models, config, apps, features, one-off commands, feedback',
  mcp: 'MCP servers: status, reload, OAuth login',
  skills: 'Skills: list, enable or disable',
  config: 'Runtime configuration',
  models: 'Models the runtime offers',
  webhooks: 'Webhook deliveries of the bundled webhooks extension (an audit of every attempt)',
  usage: 'Tokens and cost per turn, session, project or day; the account rate limits',
};

const placeholder = (f: FlagSpec) =>
  f.type.kind === 'json'
    ? '<json>'
    : f.type.kind === 'integer' || f.type.kind === 'number'
      ? '<n>'
      : f.type.kind === 'array'
        ? '<value>'
        : '<value>';

/** The commander options of one mapped field (also used by `cmgr chat` for per-turn overrides). */
export function optionsOf(f: FlagSpec): Option[] {
  if (f.type.kind === 'boolean') {
    return [
      new Option(`--${f.flag}`, f.description || `set ${f.field}`),
      new Option(`--no-${f.flag}`, `set ${f.field} to false`),
    ];
  }
  const o = new Option(`--${f.flag} ${placeholder(f)}`, f.description);
  if (f.type.kind === 'array') {
    const choices = f.type.choices;
    o.argParser((v: string, prev: string[] | undefined) => {
      if (choices && !choices.includes(v))
        throw new InvalidArgumentError(`Allowed choices are ${choices.join(', ')}.`);
      return [...(prev ?? []), v];
    });
  } else if (f.type.choices) {
    o.choices(f.type.nullable ? [...f.type.choices, 'null'] : f.type.choices);
  }
  return [o];
}

/** The commander command for one route; exported for the route-parity test. */
export function buildOperationCommand(spec: CommandSpec, deps: CliDeps): Command {
  const { op } = spec;
  const cmd = new Command(spec.name).description(op.summary);
  for (const a of spec.args) cmd.argument(`<${a.display}>`, a.description);
  for (const f of spec.flags) for (const o of optionsOf(f)) cmd.addOption(o);
  if (spec.body)
    cmd.option(
      '--body <json>',
      'the whole request body: JSON, @file, or - for stdin (flags override its fields)',
    );
  if (spec.mutating)
    cmd.option('--idempotency-key <key>', 'a repeat with the same key returns the first result');
  const required = spec.flags.filter((f) => f.required).map((f) => `--${f.flag}`);
  cmd.addHelpText(
    'after',
    [
      '',
      `Route: ${op.method.toUpperCase()} ${op.path}  (${op.id})`,
      ...(op.description ? [op.description] : []),
      ...(required.length ? [`Required: ${required.join(', ')} (as flags or inside --body)`] : []),
    ].join('\n'),
  );
  cmd.action(async (...a: unknown[]) => {
    const self = a[a.length - 1] as Command;
    const ctx = Context.of(self, deps);
    const req = requestOf(spec, a.slice(0, spec.args.length) as string[], self.opts(), ctx.sources);
    if (op.stream) return streamOperation(ctx, req.path, req.query);
    const res = await ctx.client().call(req);
    ctx.out.result(res.body, op.id);
  });
  return cmd;
}

/** Any other streaming route: prints each frame's data, one line per frame, until Ctrl-C. */
async function streamOperation(ctx: Context, p: string, query: [string, string][]): Promise<void> {
  const abort = new AbortController();
  const off = ctx.deps.onInterrupt(() => abort.abort());
  try {
    const res = await ctx.client().openStream(p, query, {}, abort.signal);
    for await (const f of readFrames(res.body as unknown as AsyncIterable<Uint8Array>))
      ctx.out.write((f.event ? `${f.event}: ` : '') + f.data + '\n');
  } catch (e) {
    if (!abort.signal.aborted) throw e;
  } finally {
    off();
  }
}

/**
 * Registers every route not in `owned` (operationIds a special command covers). Returns the command
 * of each operationId, for the route-parity test.
 */
export function registerApiCommands(
  program: Command,
  deps: CliDeps,
  owned: ReadonlySet<string>,
): Map<string, { command: Command; spec: CommandSpec }> {
  const registered = new Map<string, { command: Command; spec: CommandSpec }>();
  const specs = deps.operations.filter((op) => !owned.has(op.id)).map(commandSpecOf);
  for (const spec of specs) {
    const group = groupCommand(program, spec.op);
    const taken = group.commands.find((c) => c.name() === spec.name);
    if (taken) throw new Error(`two routes map to \`${spec.group} ${spec.name}\`: fix their operationIds`);
    const command = buildOperationCommand(spec, deps);
    // An alias never shadows the real name of another action of the group.
    const siblings = new Set(specs.filter((s) => s.group === spec.group).map((s) => s.name));
    const aliases = new Set(group.commands.flatMap((c) => c.aliases()));
    for (const alias of spec.aliases) if (!siblings.has(alias) && !aliases.has(alias)) command.alias(alias);
    group.addCommand(command);
    registered.set(spec.op.id, { command, spec });
  }
  return registered;
}

function groupCommand(program: Command, op: Operation): Command {
  const name = kebab(op.group);
  const existing = program.commands.find((c) => c.name() === name);
  if (existing) return existing;
  return program.command(name).description(GROUP_DESCRIPTIONS[name] ?? `${name} routes`);
}
