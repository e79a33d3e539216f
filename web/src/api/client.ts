/** The error every API call rejects with: the server's `{error: {code, message, details, suggestion}}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly suggestion?: string,
    /** The whole response body (a 503 health answer still says what is missing). */
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined | null>;
  /** Sent as `Idempotency-Key`: a retried user action is answered with its first result. */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export interface ApiClient {
  request<T>(method: string, path: string, body?: unknown, opts?: RequestOptions): Promise<T>;
  get<T>(path: string, query?: RequestOptions['query']): Promise<T>;
}

export interface ApiClientOptions {
  baseUrl?: string;
  fetch?: typeof fetch;
  /** The API token (CM_API_TOKEN), read on every call so a token entered later is used at once. */
  token?: () => string | null;
  /** Called on 401 so the app can ask for a token. */
  onUnauthorized?: () => void;
}

export function queryString(query: RequestOptions['query']): string {
  if (!query) return '';
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query))
    if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  const s = qs.toString();
  return s ? `?${s}` : '';
}

/** A new idempotency key per user action. */
export const newKey = (): string =>
  globalThis.crypto?.randomUUID?.() ?? `k-${Date.now()}-${Math.random().toString(36).slice(2)}`;

/**
 * JSON over fetch against `/api`. Every call says it comes from the web client (`X-Client: web`,
 * recorded with decisions and audited changes); failures become `ApiError`s, network failures too
 * (`code: network_error`, status 0), so components only ever handle one error type.
 */
export function createApiClient(opts: ApiClientOptions = {}): ApiClient {
  const base = opts.baseUrl ?? '';
  const doFetch = opts.fetch ?? ((...a: Parameters<typeof fetch>) => globalThis.fetch(...a));
  async function request<T>(
    method: string,
    path: string,
    body?: unknown,
    o: RequestOptions = {},
  ): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', 'x-client': 'web' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const token = opts.token?.();
    if (token) headers.authorization = `Bearer ${token}`;
    if (o.idempotencyKey) headers['idempotency-key'] = o.idempotencyKey;
    let res: Response;
    try {
      res = await doFetch(`${base}/api${path}${queryString(o.query)}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: o.signal,
      });
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      throw new ApiError(0, 'network_error', 'The gateway cannot be reached. Is Codex Manager running?');
    }
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    if (!res.ok) {
      if (res.status === 401) opts.onUnauthorized?.();
      const err = (
        json as { error?: { code?: string; message?: string; details?: unknown; suggestion?: string } }
      )?.error;
      throw new ApiError(
        res.status,
        err?.code ?? `http_${res.status}`,
        err?.message ?? `${method.toUpperCase()} ${path} failed with HTTP ${res.status}`,
        err?.details,
        err?.suggestion,
        json,
      );
    }
    return json as T;
  }
  return { request, get: (path, query) => request('GET', path, undefined, { query }) };
}

/** A readable one-liner for any thrown value. */
export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) return e.suggestion ? `${e.message} (${e.suggestion})` : e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}
