import fs from 'node:fs';
import { startStack, type Stack } from '../../../test/helpers/stack';
import { Cli } from '../helpers/cmgr';

/**
 * A stack that requires an API token: exit code 5 and the error document without one, the token from
 * a flag, the environment or a profile (never echoed), doctor's hints, the stream and chat with it.
 */
jest.setTimeout(180_000);

const TOKEN = 'cm-token-cli-e2e-7d1f0c9b2a';

let stack: Stack;
let cli: Cli;
beforeAll(async () => {
  stack = await startStack('cli_auth', { env: { CM_API_TOKEN: TOKEN }, token: TOKEN });
  cli = new Cli({ CM_URL: stack.url });
});
afterAll(async () => {
  cli?.cleanup();
  await stack?.stop();
});

describe('with an API token required', () => {
  it('fails with exit 5 and the API’s error document when no token is given', async () => {
    const r = await cli.run(['--json', 'sessions', 'list']);
    expect(r.code).toBe(5);
    expect(r.json()).toEqual({
      error: {
        code: 'unauthorized',
        message: 'missing or wrong bearer token',
        suggestion: 'send Authorization: Bearer <CM_API_TOKEN>',
      },
    });
    const wrong = await cli.run(['sessions', 'list', '--token', 'not-the-token-at-all']);
    expect(wrong.code).toBe(5);
    expect(wrong.stderr).toContain('(unauthorized, HTTP 401)');
  });

  it('has doctor say what is wrong and what to do', async () => {
    const none = await cli.run(['doctor']);
    expect(none.code).toBe(5);
    expect(none.stdout).toMatch(/✗ token\s+the server requires a token/);
    expect(none.stdout).toContain('cmgr profile set <name> --token-file <file>');
    const wrong = await cli.run(['doctor'], { env: { CM_TOKEN: 'not-the-token-at-all' } });
    expect(wrong.code).toBe(5);
    expect(wrong.stdout).toMatch(/✗ token\s+the server rejected the token \(from env\)/);
    const ok = await cli.run(['doctor', '--token', TOKEN]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/✓ token\s+accepted \(from flag\)/);
  });

  it('takes the token from a flag, CM_TOKEN or a profile, and never prints it', async () => {
    expect((await cli.run(['sessions', 'list', '--token', TOKEN])).code).toBe(0);
    expect((await cli.run(['sessions', 'list'], { env: { CM_TOKEN: TOKEN } })).code).toBe(0);
    const tokenFile = `${stack.dataDir}/cli-token`;
    fs.writeFileSync(tokenFile, TOKEN + '\n', { mode: 0o600 });
    const stored = new Cli();
    try {
      const set = await stored.run([
        'profile',
        'set',
        'secured',
        '--url',
        stack.url,
        '--token-file',
        tokenFile,
      ]);
      expect(set.code).toBe(0);
      const all = [
        set,
        await stored.run(['profile', 'list']),
        await stored.run(['--json', 'profile', 'show']),
      ];
      for (const r of all) expect(r.stdout + r.stderr).not.toContain(TOKEN);
      const listed = await stored.run(['--json', 'sessions', 'create', '--title', 'via profile']);
      expect(listed.code).toBe(0);
    } finally {
      stored.cleanup();
    }
  });

  it('streams and chats with the token', async () => {
    const env = { CM_TOKEN: TOKEN };
    const events = await cli.run(['--json', 'stream', '--after', '0', '--limit', '2'], { env });
    expect(events.code).toBe(0);
    expect(events.lines()).toHaveLength(2);
    const noToken = await cli.run(['--json', 'stream', '--after', '0', '--limit', '1']);
    expect(noToken.code).toBe(5);
    const chat = await cli.run(['chat', 'new', 'scn:text with a token'], { env });
    expect(chat.code).toBe(0);
    expect(chat.stdout).toBe('Hello from the scripted model.\n');
    // Without the token the stream is refused first, and the message is never sent.
    const id = /^session (\S+)$/m.exec(chat.stderr)![1]!;
    const refused = await cli.run(['--json', 'chat', id, 'scn:text not sent']);
    expect(refused.code).toBe(5);
    const turns = (await cli.run(['--json', 'sessions', 'get', id], { env })).json<{ turns: unknown[] }>()
      .turns;
    expect(turns).toHaveLength(1);
  });
});
