import { startStack, type Stack } from '../../../test/helpers/stack';
import { Cli, Interactive } from '../helpers/cmgr';

/**
 * Every route group on the stack through the `cmgr` bin as a subprocess: human and --json output,
 * error documents and exit codes, raw calls, the stream viewer with resume, chat, doctor, profiles.
 */
jest.setTimeout(180_000);

let stack: Stack;
let cli: Cli;
let run: Cli['run'];
beforeAll(async () => {
  stack = await startStack('cli_routes');
  cli = new Cli({ CM_URL: stack.url });
  run = cli.run.bind(cli);
});
afterAll(async () => {
  cli?.cleanup();
  await stack?.stop();
});

interface Session {
  id: string;
  title: string | null;
  cwd: string;
}
interface ApiErrorDoc {
  error: { code: string; message: string; details?: { issues?: { path: string }[] } };
}

async function newSession(title?: string): Promise<string> {
  const r = await run(['--json', 'sessions', 'create', ...(title ? ['--title', title] : [])]);
  expect(r.code).toBe(0);
  return r.json<{ session: Session }>().session.id;
}

describe('system', () => {
  it('reports health as checks (and as the API body with --json)', async () => {
    const human = await run(['system', 'health']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/✓ runtime\s+ready \(codex 0\.169\.0/);
    expect(human.stdout).toMatch(/✓ runtime-bridge\s+up/);
    const json = await run(['--json', 'system', 'health']);
    expect(json.json()).toMatchObject({ status: 'ready', database: { ok: true } });
  });

  it('prints metrics as text and the API description as JSON the CLI fully covers', async () => {
    const metrics = await run(['system', 'metrics']);
    expect(metrics.stdout).toMatch(/^# HELP cm_/m);
    const doc = (await run(['system', 'openapi'])).json<{
      paths: Record<string, Record<string, { operationId: string }>>;
    }>();
    const served = Object.values(doc.paths).flatMap((p) => Object.values(p).map((o) => o.operationId));
    expect(served).toContain('sessions.create');
    const doctor = await run(['--json', 'doctor']);
    expect(doctor.code).toBe(0);
    expect(
      doctor.json<{ checks: { name: string; status: string; message: string }[] }>().checks,
    ).toContainEqual({
      name: 'api',
      status: 'ok',
      message: `${served.length} routes, all known to this CLI`,
    });
  });
});

describe('sessions', () => {
  it('creates, lists, shows and messages a session', async () => {
    const created = await run(['sessions', 'create', '--title', 'cli e2e', '--cwd', '.'], {
      cwd: stack.dataDir,
    });
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^title\s+cli e2e$/m);
    // A relative --cwd is resolved against the caller's directory.
    expect(created.stdout).toMatch(new RegExp(`^cwd\\s+${stack.dataDir}$`, 'm'));
    const id = /^id\s+(\S+)$/m.exec(created.stdout)![1]!;

    const list = await run(['sessions', 'ls']);
    expect(list.stdout.split('\n')[0]).toMatch(/^ID\s+TITLE\s+STATUS/);
    expect(list.stdout).toMatch(new RegExp(`^${id}\\s+cli e2e\\s+idle`, 'm'));
    const listJson = (await run(['--json', 'sessions', 'list'])).json<{ sessions: Session[] }>();
    expect(listJson.sessions.map((s) => s.id)).toContain(id);

    const sent = await run(['--json', 'sessions', 'send-message', id, '--text', 'scn:text hello']);
    expect(sent.code).toBe(0);
    const turn = sent.json<{ sessionId: string; turn: { id: string } }>();
    expect(turn.sessionId).toBe(id);

    const shown = await run(['--json', 'sessions', 'get', id]);
    expect(shown.json<{ turns: { id: string }[] }>().turns.map((t) => t.id)).toContain(turn.turn.id);
    const human = await run(['sessions', 'show', id]);
    expect(human.stdout).toMatch(/^turns \(1\)$/m);
  });

  it('replays a create with the same --idempotency-key and refuses the key with another body (exit 2)', async () => {
    const first = await run(['--json', 'sessions', 'create', '--idempotency-key', 'cli-once']);
    const again = await run(['--json', 'sessions', 'create', '--idempotency-key', 'cli-once']);
    expect(again.json<{ session: Session }>().session.id).toBe(first.json<{ session: Session }>().session.id);
    const reused = await run([
      '--json',
      'sessions',
      'create',
      '--idempotency-key',
      'cli-once',
      '--title',
      'other',
    ]);
    expect(reused.code).toBe(2);
    expect(reused.json<ApiErrorDoc>().error.code).toBe('idempotency_key_reused');
  });
});

describe('errors and exit codes', () => {
  it('exit 3 for an unknown id, with the API error on stdout under --json', async () => {
    const human = await run(['sessions', 'get', 'no-such-session']);
    expect(human).toMatchObject({ code: 3, stdout: '' });
    expect(human.stderr).toContain('error: session no-such-session was not found (not_found, HTTP 404)');
    const json = await run(['--json', 'sessions', 'send-message', 'no-such-session', '--text', 'hi']);
    expect(json.code).toBe(3);
    expect(json.json<ApiErrorDoc>()).toEqual({
      error: {
        code: 'not_found',
        message: 'session no-such-session was not found',
        details: { id: 'no-such-session' },
      },
    });
  });

  it('exit 2 for input the server rejects, listing each problem', async () => {
    const id = await newSession();
    const blank = await run(['sessions', 'send-message', id, '--text', '   ']);
    expect(blank.code).toBe(2);
    expect(blank.stderr).toContain('(invalid_request, HTTP 400)');
    expect(blank.stderr).toContain('- body.text: text must not be empty');
    const relative = await run(['--json', 'sessions', 'create', '--body', '{"cwd": "relative/dir"}']);
    expect(relative.code).toBe(2);
    expect(relative.json<ApiErrorDoc>().error.details!.issues![0]!.path).toBe('body.cwd');
    const extra = await run(['--json', 'sessions', 'create', '--body', '{"bogus": 1}']);
    expect(extra.code).toBe(2);
  });
});

describe('raw', () => {
  it('calls any route with a body from the argument or stdin, exit codes by status', async () => {
    const health = await run(['raw', 'GET', '/health']);
    expect(health.code).toBe(0);
    expect(JSON.parse(health.stdout)).toMatchObject({ status: 'ready' });
    const created = await run(['raw', 'post', '/api/sessions', '{"title": "from raw"}']);
    expect(JSON.parse(created.stdout)).toMatchObject({ session: { title: 'from raw' } });
    const piped = await run(['raw', 'POST', '/sessions', '-'], { input: '{"title": "from stdin"}' });
    expect(JSON.parse(piped.stdout)).toMatchObject({ session: { title: 'from stdin' } });
    const missing = await run(['--json', 'raw', 'GET', '/api/nothing-here']);
    expect(missing.code).toBe(3);
    expect(missing.json<ApiErrorDoc>().error.code).toBe('not_found');
    const listed = await run(['raw', 'GET', '/sessions?limit=1']);
    expect(JSON.parse(listed.stdout).sessions.length).toBeGreaterThanOrEqual(1);
  });
});

describe('stream', () => {
  it('tails events as NDJSON and resumes from the printed seq with no gap and no duplicate', async () => {
    const first = await run(['--json', 'stream', '--after', '0', '--limit', '5']);
    expect(first.code).toBe(0);
    const a = first.lines<{ seq: number; type: string }>();
    expect(a.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(first.stderr).toContain('last seq 5; resume with: cmgr stream --after 5');
    const second = await run(['--json', 'stream', '--after', '5', '--limit', '3']);
    expect(second.lines<{ seq: number }>().map((e) => e.seq)).toEqual([6, 7, 8]);
  });

  it('filters by thread and type prefix, one readable line per event', async () => {
    const id = await newSession();
    await run(['sessions', 'send-message', id, '--text', 'scn:text filtered']);
    const r = await run([
      'stream',
      '--thread',
      id,
      '--type',
      'runtime.turn.',
      '--after',
      '0',
      '--limit',
      '2',
    ]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\s*\d+ \d\d:\d\d:\d\d\.\d{3} runtime\.turn\.started inProgress$/);
    expect(lines[1]).toMatch(/ runtime\.turn\.completed completed$/);
  });

  it('stops with exit 0 on Ctrl-C and says where to resume', async () => {
    const tail = new Interactive(cli, ['stream', '--after', '0']);
    await tail.waitFor(() => tail.stdout.split('\n').length > 3, 'some events');
    tail.signal('SIGINT');
    const r = await tail.done;
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/last seq \d+; resume with: cmgr stream --after \d+/);
  });
});

describe('chat', () => {
  it('prints exactly the streamed reply on stdout', async () => {
    const id = await newSession();
    const r = await run(['chat', id, 'scn:text', 'say', 'hello']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Hello from the scripted model.\n');
    expect(r.stderr).toContain('thinking: ');
  });

  it('takes the message from stdin, starts a session with `new`, and emits NDJSON with --json', async () => {
    const r = await run(['--json', 'chat', 'new', '--no-reasoning'], { input: 'scn:text from a pipe\n' });
    expect(r.code).toBe(0);
    const events = r.lines<{ type: string; data: { params?: { delta?: string } } }>();
    expect(events[events.length - 1]!.type).toBe('runtime.turn.completed');
    const text = events
      .filter((e) => e.type === 'runtime.item.agentMessage.delta')
      .map((e) => e.data.params!.delta)
      .join('');
    expect(text).toBe('Hello from the scripted model.');
    expect(r.stderr).toMatch(/^session \S+$/m);
  });

  it('exits 1 with the turn’s error when the turn fails', async () => {
    const id = await newSession();
    const r = await run(['--json', 'chat', id, 'scn:http500']);
    expect(r.code).toBe(1);
    const last = r.stdout.trim().split('\n').pop()!;
    expect(JSON.parse(last)).toMatchObject({
      error: { code: 'turn_failed', details: { sessionId: id, status: 'failed' } },
    });
  });
});

describe('profiles', () => {
  it('reaches the stack through a stored profile, selected by flag, env or default', async () => {
    const bare = new Cli();
    try {
      expect((await bare.run(['profile', 'set', 'e2e', '--url', stack.url])).code).toBe(0);
      expect((await bare.run(['sessions', 'list'])).code).toBe(0);
      expect(
        (await bare.run(['profile', 'set', 'elsewhere', '--url', 'http://127.0.0.1:9', '--default'])).code,
      ).toBe(0);
      expect((await bare.run(['sessions', 'list'])).code).toBe(6);
      expect((await bare.run(['--profile', 'e2e', 'sessions', 'list'])).code).toBe(0);
      expect((await bare.run(['sessions', 'list'], { env: { CM_PROFILE: 'e2e' } })).code).toBe(0);
    } finally {
      bare.cleanup();
    }
  });
});
