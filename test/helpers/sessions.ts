import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Launched } from './stack';

type Params = Record<string, unknown>;

let dirs = 0;

/**
 * A session made over the API, in a directory of its own under the stack's data directory, with
 * approval policy `untrusted` (so `scn:exec` and `scn:patch` ask) unless `extra` says otherwise.
 */
export async function untrustedSession(
  stack: Launched,
  extra: Params = {},
): Promise<{ id: string; cwd: string }> {
  const cwd = path.join(stack.dataDir, `ws-${++dirs}`);
  mkdirSync(cwd, { recursive: true });
  const res = await stack.api<{ session: { id: string } }>('POST', '/api/sessions', {
    cwd,
    approvalPolicy: 'untrusted',
    sandbox: 'workspace-write',
    ...extra,
  });
  expect(res.status).toBe(201);
  return { id: res.body.session.id, cwd };
}

/** Sends a message and returns the id of the turn it started. */
export async function sendMessage(
  stack: Launched,
  session: string,
  text: string,
  extra: Params = {},
): Promise<string> {
  const res = await stack.api<{ turn: { id: string } }>('POST', `/api/sessions/${session}/messages`, {
    text,
    ...extra,
  });
  expect(res.status).toBe(202);
  return res.body.turn.id;
}
