import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import { createApiClient, type ApiClient } from './api/client';
import { inboxApi } from './api/inbox';
import { projectsApi } from './api/projects';
import { requestsApi } from './api/requests';
import { sessionsApi } from './api/sessions';
import { systemApi } from './api/system';

/** Where the API token lives in the browser (only needed when the gateway has CM_API_TOKEN set). */
export const TOKEN_KEY = 'codex-manager.token';

/**
 * Browser notifications, behind one small interface (jsdom has none; tests count what was shown).
 * `hidden()` says whether the user is looking elsewhere (another tab, a minimised window).
 */
export interface Notifier {
  permission(): NotificationPermission | 'unsupported';
  request(): Promise<NotificationPermission | 'unsupported'>;
  show(title: string, opts: { body?: string; tag?: string }, onClick?: () => void): { close(): void } | null;
  hidden(): boolean;
}

export const browserNotifier: Notifier = {
  permission: () => (typeof Notification === 'undefined' ? 'unsupported' : Notification.permission),
  request: async () =>
    typeof Notification === 'undefined' ? 'unsupported' : await Notification.requestPermission(),
  show(title, opts, onClick) {
    if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return null;
    const n = new Notification(title, opts);
    if (onClick)
      n.onclick = () => {
        globalThis.focus?.();
        onClick();
        n.close();
      };
    return n;
  },
  hidden: () => typeof document !== 'undefined' && document.visibilityState === 'hidden',
};

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
  inbox: ReturnType<typeof inboxApi>;
  socket: SocketFactory;
  notifier: Notifier;
  token: { get(): string | null; set(value: string | null): void };
  onUnauthorized: Set<() => void>;
}

export function storage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

export function createDeps(
  overrides: { fetch?: typeof fetch; socket?: SocketFactory; notifier?: Notifier } = {},
): Deps {
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
    inbox: inboxApi(http),
    socket: overrides.socket ?? ((opts) => io(opts)),
    notifier: overrides.notifier ?? browserNotifier,
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
