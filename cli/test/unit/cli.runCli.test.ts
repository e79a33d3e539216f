import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { runInProcess } from '../helpers/run';

/** The CLI in-process, without a server: parsing, usage errors, profiles, transport failures. */
let dir: string;
let env: NodeJS.ProcessEnv;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmgr-cli-'));
  env = { CM_CONFIG_FILE: path.join(dir, 'profiles.json') };
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('usage errors', () => {
  it('exit 2 with a message and a hint, or the error document with --json', async () => {
    const human = await runInProcess(['sessions', 'list', '--bogus'], { env });
    expect(human).toMatchObject({ code: 2, stdout: '' });
    expect(human.stderr).toContain("error: unknown option '--bogus'");
    expect(human.stderr).toContain('hint: add --help');
    const json = await runInProcess(['--json', 'sessions', 'get'], { env });
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toEqual({
      error: {
        code: 'usage',
        message: "missing required argument 'session'",
        details: { reason: 'commander.missingArgument' },
        suggestion: 'add --help to any command for its usage',
      },
    });
  });

  it('suggests the command meant by a typo', async () => {
    const r = await runInProcess(['sesions'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'sesions'[\s\S]*Did you mean sessions\?/);
  });

  it('shows a group’s actions when no action is given (exit 2), help on request (exit 0)', async () => {
    const bare = await runInProcess(['sessions'], { env });
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('send-message');
    const help = await runInProcess(['sessions', 'create', '--help'], { env });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Route: POST /api/sessions  (sessions.create)');
    expect(help.stdout).toContain('--approval-policy <value>');
    const version = await runInProcess(['--version'], { env });
    expect(version).toMatchObject({ code: 0, stdout: expect.stringMatching(/^0\.0\.0-test \(API \d/) });
  });

  it('rejects bad local input before any request: JSON, numbers, stream flags', async () => {
    const badBody = await runInProcess(['--json', 'sessions', 'create', '--body', '{nope'], { env });
    expect(badBody.code).toBe(2);
    expect(JSON.parse(badBody.stdout).error.message).toMatch(/^--body is not valid JSON/);
    const badAfter = await runInProcess(['stream', '--after', '-3'], { env });
    expect(badAfter.code).toBe(2);
    expect(badAfter.stderr).toContain('--after: expected a seq');
    const badTimeout = await runInProcess(['--timeout', 'soon', 'system', 'health'], { env });
    expect(badTimeout.code).toBe(2);
    const badRaw = await runInProcess(['raw', 'FETCH', '/api/health'], { env });
    expect(badRaw.code).toBe(2);
    expect(badRaw.stderr).toContain('METHOD is one of GET, POST, PUT, PATCH, DELETE');
  });
});

describe('transport failures', () => {
  it('exit 6 with connection_failed when nothing listens, with a hint', async () => {
    const port = await closedPort();
    const r = await runInProcess(['--json', '--url', `http://127.0.0.1:${port}`, 'sessions', 'list'], {
      env,
      fetch,
    });
    expect(r.code).toBe(6);
    expect(JSON.parse(r.stdout).error).toMatchObject({
      code: 'connection_failed',
      message: `cannot reach http://127.0.0.1:${port} (ECONNREFUSED)`,
      suggestion: expect.stringContaining('npm start'),
    });
    const doctor = await runInProcess(['--url', `http://127.0.0.1:${port}`, 'doctor'], { env, fetch });
    expect(doctor.code).toBe(6);
    expect(doctor.stdout).toMatch(/✗ server\s+cannot reach/);
    expect(doctor.stdout).toContain('→ is Codex Manager running?');
  });
});

describe('profiles', () => {
  it('set, list, use, show and remove, never printing a token', async () => {
    const tokenFile = path.join(dir, 'token');
    fs.writeFileSync(tokenFile, 'secret-token-1234567890\n');
    expect(
      (await runInProcess(['profile', 'set', 'local', '--url', 'http://127.0.0.1:8787/'], { env })).code,
    ).toBe(0);
    const prod = await runInProcess(
      ['profile', 'set', 'prod', '--url', 'https://cm.example/api', '--token-file', tokenFile],
      {
        env,
        cwd: dir,
      },
    );
    expect(prod.stderr).toContain('created profile prod: https://cm.example, token secr…90 (23 chars)');
    const file = JSON.parse(fs.readFileSync(env.CM_CONFIG_FILE!, 'utf8'));
    expect(file).toEqual({
      defaultProfile: 'local',
      profiles: {
        local: { baseUrl: 'http://127.0.0.1:8787', token: null },
        prod: { baseUrl: 'https://cm.example', token: 'secret-token-1234567890' },
      },
    });
    expect(fs.statSync(env.CM_CONFIG_FILE!).mode & 0o777).toBe(0o600);

    const list = await runInProcess(['profile', 'list'], { env });
    expect(list.stdout).not.toContain('secret-token-1234567890');
    expect(list.stdout).toMatch(/local\s+\*\s+http:\/\/127\.0\.0\.1:8787/);
    const listJson = JSON.parse((await runInProcess(['--json', 'profile', 'ls'], { env })).stdout);
    expect(listJson.profiles).toEqual([
      { name: 'local', default: true, baseUrl: 'http://127.0.0.1:8787', hasToken: false },
      { name: 'prod', default: false, baseUrl: 'https://cm.example', hasToken: true },
    ]);

    expect((await runInProcess(['profile', 'use', 'prod'], { env })).code).toBe(0);
    const show = JSON.parse((await runInProcess(['--json', 'profile', 'show'], { env })).stdout);
    expect(show.connection).toMatchObject({
      profile: 'prod',
      baseUrl: 'https://cm.example',
      tokenSource: 'profile',
    });
    expect(JSON.stringify(show)).not.toContain('secret-token-1234567890');
    const overridden = JSON.parse(
      (
        await runInProcess(['--json', 'profile', 'show'], {
          env: { ...env, CM_URL: 'http://env:1', CM_PROFILE: 'local' },
        })
      ).stdout,
    );
    expect(overridden.connection).toMatchObject({
      profile: 'local',
      baseUrl: 'http://env:1',
      baseUrlSource: 'env',
      token: '-',
    });

    expect((await runInProcess(['profile', 'set', 'prod', '--clear-token'], { env })).code).toBe(0);
    expect(JSON.parse(fs.readFileSync(env.CM_CONFIG_FILE!, 'utf8')).profiles.prod.token).toBeNull();
    expect((await runInProcess(['profile', 'rm', 'prod'], { env })).code).toBe(0);
    expect(JSON.parse(fs.readFileSync(env.CM_CONFIG_FILE!, 'utf8')).defaultProfile).toBeNull();
  });

  it('refuses unknown profiles and bad names with exit 2', async () => {
    await runInProcess(['profile', 'set', 'local'], { env });
    const use = await runInProcess(['--json', 'profile', 'use', 'nope'], { env });
    expect(use.code).toBe(2);
    expect(JSON.parse(use.stdout).error).toMatchObject({
      code: 'unknown_profile',
      suggestion: 'known profiles: local',
    });
    const run = await runInProcess(['--profile', 'nope', 'sessions', 'list'], { env });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("no profile 'nope'");
    expect((await runInProcess(['profile', 'set', '../evil'], { env })).code).toBe(2);
  });
});
