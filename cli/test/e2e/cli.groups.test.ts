import { loadDocument, operationsOf } from '../../src/api/openapi';
import { startStack, type Stack } from '../../../test/helpers/stack';
import { Cli, Interactive } from '../helpers/cmgr';

/**
 * The route groups beyond sessions through the `cmgr` bin against the whole stack: projects, controls,
 * settings, the session lifecycle, runtime passthroughs, jobs and extensions. Each test runs when its
 * routes are in the API description.
 */
jest.setTimeout(240_000);

const ops = new Set(operationsOf(loadDocument()).map((o) => o.id));
const when = (...ids: string[]) => (ids.every((id) => ops.has(id)) ? it : it.skip);
// No stack to start when none of these routes exists yet.
const anyGroup = [
  'projects.create',
  'controls.setSession',
  'runtime.models',
  'jobs.list',
  'sessions.interrupt',
].some((id) => ops.has(id));

let stack: Stack;
let cli: Cli;
let run: Cli['run'];
beforeAll(async () => {
  if (!anyGroup) return;
  stack = await startStack('cli_groups');
  cli = new Cli({ CM_URL: stack.url });
  run = cli.run.bind(cli);
});
afterAll(async () => {
  cli?.cleanup();
  await stack?.stop();
});

async function ok<T = Record<string, unknown>>(args: string[]): Promise<T> {
  const r = await run(['--json', ...args]);
  if (r.code !== 0) throw new Error(`cmgr ${args.join(' ')} → ${r.code}\n${r.stdout}${r.stderr}`);
  return r.json<T>();
}

async function newSession(): Promise<string> {
  return (await ok<{ session: { id: string } }>(['sessions', 'create'])).session.id;
}

describe('route groups', () => {
  when(
    'projects.create',
    'projects.assignSession',
    'projects.delete',
  )('projects: create, conflict on a duplicate name, rename, assign, delete', async () => {
    const { project } = await ok<{ project: { id: string; name: string } }>([
      'projects',
      'create',
      '--name',
      'Alpha',
    ]);
    const dup = await run(['--json', 'projects', 'create', '--name', 'alpha']);
    expect(dup.code).toBe(4);
    expect(dup.json<{ error: { code: string } }>().error.code).toBe('conflict');
    const table = await run(['projects', 'ls']);
    expect(table.stdout).toMatch(new RegExp(`^${project.id}\\s+Alpha`, 'm'));
    await ok(['projects', 'rename', project.id, '--name', 'Beta']);
    const s = await newSession();
    await ok(['projects', 'assign-session', project.id, s]);
    const inProject = await ok<{ sessions: { id: string }[] }>([
      'sessions',
      'list',
      '--project-id',
      project.id,
    ]);
    expect(inProject.sessions.map((x) => x.id)).toEqual([s]);
    await ok(['projects', 'unassign-session', project.id, s]);
    await ok(['projects', 'rm', project.id]);
    expect((await run(['projects', 'get', project.id])).code).toBe(3);
  });

  when(
    'controls.setSession',
    'settings.setSessionKey',
    'settings.audit',
  )(
    'controls and settings: typed values, deletion, an audit trail naming the CLI and the actor',
    async () => {
      const s = await newSession();
      await ok(['--actor', 'carol', 'controls', 'set-session', s, '--controls', '{"sandbox": "read-only"}']);
      const controls = await ok(['controls', 'get-session', s]);
      expect(JSON.stringify(controls)).toContain('read-only');
      await ok(['--actor', 'carol', 'settings', 'set-session-key', s, 'theme', '--value', 'dark']);
      await ok(['--actor', 'carol', 'settings', 'set-session-key', s, 'limits', '--value', '{"n": 3}']);
      const settings = await ok(['settings', 'get-session', s]);
      expect(JSON.stringify(settings)).toContain('"theme":"dark"');
      expect(JSON.stringify(settings)).toContain('"limits":{"n":3}');
      await ok(['settings', 'delete-session-key', s, 'theme']);
      expect(JSON.stringify(await ok(['settings', 'get-session', s]))).not.toContain('theme');
      const audit = JSON.stringify(await ok(['settings', 'audit', '--session-id', s]));
      expect(audit).toContain('carol');
      expect(audit).toContain('"cli"');
    },
  );

  when(
    'sessions.rename',
    'sessions.archive',
    'sessions.fork',
    'sessions.delete',
  )('sessions: rename, archive out of the default list, fork, delete (then 410: exit 3)', async () => {
    const s = await newSession();
    await ok(['sessions', 'rename', s, '--title', 'renamed by cli']);
    expect((await run(['sessions', 'show', s])).stdout).toMatch(/title\s+renamed by cli/);
    await ok(['sessions', 'archive', s]);
    const live = await ok<{ sessions: { id: string }[] }>(['sessions', 'list']);
    expect(live.sessions.map((x) => x.id)).not.toContain(s);
    const all = await ok<{ sessions: { id: string }[] }>(['sessions', 'list', '--archived', 'all']);
    expect(all.sessions.map((x) => x.id)).toContain(s);
    await ok(['sessions', 'unarchive', s]);
    const fork = await ok<{ session: { id: string } }>(['sessions', 'fork', s, '--title', 'a fork']);
    expect(fork.session.id).not.toBe(s);
    await ok(['sessions', 'rm', s]);
    const gone = await run(['--json', 'sessions', 'get', s]);
    expect(gone.code).toBe(3);
    expect(gone.json<{ error: { code: string } }>().error.code).toBe('gone');
  });

  when(
    'runtime.models',
    'runtime.commandExec',
    'system.capabilities',
  )('runtime passthroughs: models, config, a one-off command, capabilities', async () => {
    const models = await run(['runtime', 'models']);
    expect(models.code).toBe(0);
    expect(models.stdout).toMatch(/^ID\s/m);
    await ok(['runtime', 'read-config']);
    const exec = await ok(['runtime', 'command-exec', '--command', 'echo', '--command', 'hi from cli']);
    expect(JSON.stringify(exec)).toContain('hi from cli');
    await ok(['system', 'capabilities']);
  });

  when(
    'jobs.list',
    'jobs.get',
    'extensions.list',
  )('jobs and extensions: lists, and exit 3 for an unknown job', async () => {
    await ok(['jobs', 'list']);
    const missing = await run(['--json', 'jobs', 'get', '00000000-0000-4000-8000-000000000000']);
    expect(missing.code).toBe(3);
    const ext = await run(['extensions', 'list']);
    expect(ext.code).toBe(0);
    await ok(['extensions', 'audit']);
  });

  when('sessions.interrupt')('chat: Ctrl-C interrupts the running turn and exits 1', async () => {
    const s = await newSession();
    const chat = new Interactive(cli, ['chat', s, 'scn:slow:200x100']);
    await chat.waitFor(() => chat.stdout.includes('tick3'), 'a few streamed ticks', 120_000);
    chat.signal('SIGINT');
    const r = await chat.done;
    expect(r.stderr).toContain('interrupting the turn');
    expect(r.stderr).toMatch(/error: turn \S+ interrupted/);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain('tick199');
  });
});
