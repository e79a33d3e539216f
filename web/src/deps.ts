import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import { createApiClient, type ApiClient } from './api/client';
import { projectsApi } from './api/projects';
import { requestsApi } from './api/requests';
import { sessionsApi } from './api/sessions';
import { systemApi } from './api/system';

/** Where the API token lives in the browser (only needed when the gateway has CM_API_TOKEN set). */
export const TOKEN_KEY = 'codex-manager.token';

export type SocketFactory = (opts: Partial<ManagerOptions & SocketOptions>) => Socket;

/**
 * The app's outside world in one place: the HTTP client and the socket factory. Stores take their
 * dependencies from here, so tests swap in a fake fetch or socket without mocking modules.
 */
export interface Deps {
  http: ApiClient;
  sessions: ReturnType<typeof sessionsApi>;
  projects: ReturnType<typeof projectsApi>;
  requests: ReturnType<typeof requestsApi>;
  system: ReturnType<typeof systemApi>;
  socket: SocketFactory;
  token: { get(): string | null; set(value: string | null): void };
  onUnauthorized: Set<() => void>;
}

function storage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

export function createDeps(overrides: { fetch?: typeof fetch; socket?: SocketFactory } = {}): Deps {
  const onUnauthorized = new Set<() => void>();
  const token = {
    get: () => storage()?.getItem(TOKEN_KEY) ?? null,
    set: (value: string | null) => {
      if (value) storage()?.setItem(TOKEN_KEY, value);
      else storage()?.removeItem(TOKEN_KEY);
    },
  };
  const http = createApiClient({
    fetch: overrides.fetch,
    token: token.get,
    onUnauthorized: () => onUnauthorized.forEach((f) => f()),
  });
  return {
    http,
    sessions: sessionsApi(http),
    projects: projectsApi(http),
    requests: requestsApi(http),
    system: systemApi(http),
    socket: overrides.socket ?? ((opts) => io(opts)),
    token,
    onUnauthorized,
  };
}

let current: Deps | null = null;

export function deps(): Deps {
  current ??= createDeps();
  return current;
}

/** Tests: replace the outside world (call before the stores are first used). */
export function setDeps(d: Deps): void {
  current = d;
}
