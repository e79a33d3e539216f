import fs from 'node:fs';
import path from 'node:path';
import { SseClient } from '../helpers/sse';
import { startStack, type Stack } from '../helpers/stack';

jest.setTimeout(120_000);

// Distinctive values so that any leak, whole or in part, is found by a plain search.
const API_KEY = 'sk-proj-LEAKCHECK-3f9c2a7e51b04d6e8a1c';
const TOKEN = 'cm-token-LEAKCHECK-9b7e4c2d1a0f';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('security', {
    env: { OPENAI_API_KEY: API_KEY, CM_API_TOKEN: TOKEN },
    token: TOKEN,
  });
});
afterAll(async () => {
  await stack?.stop();
});

describe('secrets', () => {
  it('requires the token on every route and on the stream', async () => {
    expect((await fetch(`${stack.url}/api/health`)).status).toBe(401);
    expect((await fetch(`${stack.url}/api/stream`)).status).toBe(401);
    expect(
      (await fetch(`${stack.url}/api/sessions`, { headers: { authorization: 'Bearer nope-nope-nope-nope' } }))
        .status,
    ).toBe(401);
    expect((await stack.api('GET', '/api/health')).status).toBe(200);
  });

  it('are never returned nor logged during a run that used them', async () => {
    const health = await stack.api<{ auth: { hasOpenAiApiKey: boolean } }>('GET', '/api/health');
    expect(health.body.auth.hasOpenAiApiKey).toBe(true);
    const session = await stack.api<{ session: { id: string } }>('POST', '/api/sessions', {});
    const stream = new SseClient(`${stack.url}/api/stream?after=0&access_token=${TOKEN}`);
    const sent = await stack.api<{ turn: { id: string } }>(
      'POST',
      `/api/sessions/${session.body.session.id}/messages`,
      {
        text: 'scn:text',
      },
    );
    await stream.waitFor((c) =>
      c.events.some((e) => e.turnId === sent.body.turn.id && e.type === 'runtime.turn.completed'),
    );
    await stream.close();
    // A failed auth attempt must not echo the presented token either.
    const bad = await fetch(`${stack.url}/api/health`, { headers: { authorization: `Bearer ${TOKEN}x` } });
    const badBody = await bad.text();

    const returned = [
      JSON.stringify(health.body),
      JSON.stringify(session.body),
      JSON.stringify(stream.frames),
      badBody,
      await (
        await fetch(`${stack.url}/api/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
      ).text(),
    ].join('\n');
    const logDir = path.join(stack.dataDir, 'logs');
    const logs = fs.readdirSync(logDir).map((f) => fs.readFileSync(path.join(logDir, f), 'utf8'));
    expect(logs.join('').length).toBeGreaterThan(1000); // the logs being searched are real
    for (const haystack of [returned, stack.output(), ...logs]) {
      expect(haystack).not.toContain('LEAKCHECK');
    }
  });
});
