import type { Api } from './stack';

type Params = Record<string, unknown>;

/** What the session helpers need: a launched stack (`stack.ts`) or the runtime-bridge's harness. */
export interface ApiHost {
  api: Api;
  freshDir(name: string): string;
}

/**
 * A session made over the API, in a directory of its own, with approval policy `untrusted` (so
 * `scn:exec` and `scn:patch` ask) unless `extra` says otherwise.
 */
export async function untrustedSession(
  host: ApiHost,
  extra: Params = {},
): Promise<{ id: string; cwd: string }> {
  const cwd = host.freshDir('ws');
  const res = await host.api<{ session: { id: string } }>('POST', '/api/sessions', {
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
  host: Pick<ApiHost, 'api'>,
  session: string,
  text: string,
  extra: Params = {},
): Promise<string> {
  const res = await host.api<{ turn: { id: string } }>('POST', `/api/sessions/${session}/messages`, {
    text,
    ...extra,
  });
  expect(res.status).toBe(202);
  return res.body.turn.id;
}
