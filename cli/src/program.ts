import { Command } from 'commander';
import type { CommandSpec } from './api/mapping';
import { registerApiCommands } from './commands/api';
import { chatCommand } from './commands/chat';
import { completionCommand } from './commands/completion';
import { doctorCommand } from './commands/doctor';
import { INBOX_OPERATIONS, inboxCommand } from './commands/inbox';
import { profileCommand } from './commands/profile';
import { rawCommand } from './commands/raw';
import { STREAM_OPERATION, streamCommand } from './commands/stream';
import type { CliDeps } from './context';

export interface Program {
  program: Command;
  /** The generated command of each operationId. */
  api: Map<string, { command: Command; spec: CommandSpec }>;
  /** operationIds served by a hand-written command instead, with that command. */
  special: Map<string, Command>;
}

const ENV_HELP = `
Environment:
  CM_URL          base URL of the server (default http://127.0.0.1:8787)
  CM_TOKEN        API token (the server's CM_API_TOKEN)
  CM_PROFILE      profile to use instead of the default one
  CM_CONFIG_FILE  profiles file (default $XDG_CONFIG_HOME/codex-manager/profiles.json)
  CM_ACTOR        who you are in audit records (default: your user name)
  CM_TIMEOUT_MS   request timeout (default 60000)
  NO_COLOR        plain output
Precedence: flag > environment > profile > default.

Exit codes: 0 ok, 1 unexpected, 2 usage or invalid request (400/422), 3 not found or gone
(404/410), 4 conflict (409/423), 5 auth (401/403), 6 unavailable or timeout (429/5xx, no connection).`;

/** Builds the whole command tree: global options, the hand-written commands, one command per route. */
export function createProgram(deps: CliDeps): Program {
  const program = new Command('cmgr')
    .description('Codex Manager from the command line: every API route, the live stream, chat')
    .version(`${deps.version} (API ${deps.doc.info?.version ?? '?'})`, '-V, --version')
    .option('--json', 'machine output: one JSON document (NDJSON for streams); errors as {"error": {...}}')
    .option('--profile <name>', 'use this profile from the profiles file')
    .option('--url <url>', 'server base URL (overrides the profile and CM_URL)')
    .option('--token <token>', 'API token (overrides the profile and CM_TOKEN)')
    .option('--actor <name>', 'who you are in audit records')
    .option('--timeout <ms>', 'request timeout in milliseconds (default 60000)')
    .option('--no-color', 'plain output')
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => deps.stdout.write(s),
      writeErr: (s) => deps.stderr.write(s),
      // Usage errors are printed by the one error handler (as JSON with --json).
      outputError: () => undefined,
    })
    .exitOverride()
    .addHelpText('after', ENV_HELP);

  program.commandsGroup('Commands:');
  const stream = streamCommand(deps);
  const inbox = inboxCommand(deps);
  for (const c of [
    chatCommand(deps),
    inbox,
    stream,
    rawCommand(deps),
    doctorCommand(deps),
    profileCommand(deps),
  ])
    program.addCommand(c);
  program.addCommand(completionCommand(deps, () => program));

  program.commandsGroup('API (one command per route; `cmgr <group> --help` lists them):');
  const special = new Map<string, Command>([[STREAM_OPERATION, stream]]);
  // The inbox routes are served by `cmgr inbox` (once the server has them).
  for (const id of INBOX_OPERATIONS) if (deps.operations.some((o) => o.id === id)) special.set(id, inbox);
  const api = registerApiCommands(program, deps, new Set(special.keys()));
  inherit(program);
  return { program, api, special };
}

/** Commands added with addCommand() do not inherit output and exit settings: copy them down. */
function inherit(cmd: Command): void {
  for (const sub of cmd.commands) {
    sub.copyInheritedSettings(cmd);
    inherit(sub);
  }
}
