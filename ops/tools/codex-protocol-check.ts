import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveCodexBinary } from '../../services/runtime-bridge/src/app-server/codex-bin';
import { COMMAND_HANDLERS } from '../../services/runtime-bridge/src/commands';

/**
 * `npm run codex:check`: asks the installed codex binary for its protocol schema and checks that every
 * runtime method and server request the project relies on still exists. Run it after upgrading the
 * pinned @openai/codex version (docs/operations/upgrade-codex.md).
 */

/** Manager commands: handled by the bridge with several runtime calls, not runtime methods themselves. */
const MANAGER_COMMANDS = new Set([
  'session/read',
  'session/delete',
  'session/rollback',
  'runtime/capabilities',
]);
/** Methods used outside the command handlers (handshake, resume, auth readiness). */
const ALSO_CALLED = ['initialize', 'thread/resume', 'account/read'];
/** Server→client requests the bridge answers. */
const ANSWERED = [
  'item/commandExecution/requestApproval',
  'item/fileChange/requestApproval',
  'item/tool/requestUserInput',
  'item/tool/call',
];
/** Notifications the read models are built from. */
const PROJECTED = ['thread/status/changed', 'turn/started', 'turn/completed', 'thread/tokenUsage/updated'];

function methods(schemaDir: string, file: string): Set<string> {
  const doc = JSON.parse(fs.readFileSync(path.join(schemaDir, file), 'utf8')) as {
    oneOf?: { properties?: { method?: { enum?: string[] } } }[];
  };
  return new Set((doc.oneOf ?? []).flatMap((v) => v.properties?.method?.enum ?? []));
}

export function checkProtocol(): { version: string; missing: string[] } {
  const { bin } = resolveCodexBinary();
  const version = spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codex-schema-'));
  try {
    const r = spawnSync(bin, ['app-server', 'generate-json-schema', '--out', dir, '--experimental'], {
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`generate-json-schema failed: ${r.stderr}`);
    const client = methods(dir, 'ClientRequest.json');
    const server = methods(dir, 'ServerRequest.json');
    const notes = methods(dir, 'ServerNotification.json');
    const missing = [
      ...[...Object.keys(COMMAND_HANDLERS).filter((m) => !MANAGER_COMMANDS.has(m)), ...ALSO_CALLED]
        .filter((m) => !client.has(m))
        .map((m) => `request ${m}`),
      ...ANSWERED.filter((m) => !server.has(m)).map((m) => `server request ${m}`),
      ...PROJECTED.filter((m) => !notes.has(m)).map((m) => `notification ${m}`),
    ];
    return { version, missing };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const { version, missing } = checkProtocol();
  if (missing.length > 0) {
    console.error(
      `${version}: the project relies on methods this binary does not offer:\n  ${missing.join('\n  ')}`,
    );
    process.exit(1);
  }
  console.log(`${version}: every method, server request and notification the project relies on is present`);
}
