import type { Connection } from '../config/connection';
import { apiError, coerceError } from '../errors';
import type { ApiRequest } from './mapping';

export interface ApiResponse {
  status: number;
  headers: Headers;
  contentType: string;
  /** Parsed JSON, or the text for other content types (null when empty). */
  body: unknown;
  json: boolean;
}

export interface ClientOptions {
  fetch: typeof fetch;
  /** Per-request timeout; streams are exempt after their headers arrive. */
  timeoutMs: number;
  version: string;
}

/**
 * The CLI's only HTTP client. Identifies itself (`X-Client: cli`, `X-Actor`), sends the bearer token
 * and turns transport failures into CliErrors (`connection_failed`, `timeout`) and error answers into
 * the API's own error codes.
 */
export class ApiClient {
  readonly #conn: Connection;
  readonly #opts: ClientOptions;

  constructor(conn: Connection, opts: ClientOptions) {
    this.#conn = conn;
    this.#opts = opts;
  }

  get baseUrl(): string {
    return this.#conn.baseUrl;
  }

  url(p: string, query: [string, string][] = []): string {
    const rel = p.startsWith('/') ? p : `/${p}`;
    const u = new URL(this.#conn.baseUrl + rel);
    for (const [k, v] of query) u.searchParams.append(k, v);
    return u.toString();
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      accept: 'application/json',
      'x-client': 'cli',
      'x-actor': this.#conn.actor,
      'user-agent': `cmgr/${this.#opts.version}`,
      ...(this.#conn.token ? { authorization: `Bearer ${this.#conn.token}` } : {}),
      ...extra,
    };
  }

  /** Sends a request; answers of any status come back (transport failures throw). */
  async send(req: ApiRequest, opts: { signal?: AbortSignal } = {}): Promise<ApiResponse> {
    const url = this.url(req.path, req.query);
    const hasBody = req.body !== undefined;
    const signals = [AbortSignal.timeout(this.#opts.timeoutMs), ...(opts.signal ? [opts.signal] : [])];
    try {
      const res = await this.#opts.fetch(url, {
        method: req.method.toUpperCase(),
        headers: this.headers({ ...(hasBody ? { 'content-type': 'application/json' } : {}), ...req.headers }),
        body: hasBody ? JSON.stringify(req.body) : undefined,
        signal: AbortSignal.any(signals),
      });
      return await readResponse(res);
    } catch (e) {
      throw coerceError(e, { url: this.#conn.baseUrl });
    }
  }

  /** Sends a request and throws the API's error for any status ≥ 400. */
  async call(req: ApiRequest, opts: { signal?: AbortSignal } = {}): Promise<ApiResponse> {
    const res = await this.send(req, opts);
    if (res.status >= 400) throw apiError(res.status, res.body, typeof res.body === 'string' ? res.body : '');
    return res;
  }

  /** Opens a streaming GET (Server-Sent Events); the caller reads `res.body`. */
  async openStream(
    p: string,
    query: [string, string][],
    headers: Record<string, string>,
    signal: AbortSignal,
  ): Promise<Response> {
    // Only the wait for the headers is bounded: a live stream has no end.
    const ctl = new AbortController();
    const onAbort = () => ctl.abort(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(
      () => ctl.abort(new DOMException('no response headers in time', 'TimeoutError')),
      this.#opts.timeoutMs,
    );
    let res: Response;
    try {
      res = await this.#opts.fetch(this.url(p, query), {
        headers: this.headers({ accept: 'text/event-stream', ...headers }),
        signal: ctl.signal,
      });
    } catch (e) {
      throw coerceError(e, { url: this.#conn.baseUrl });
    } finally {
      clearTimeout(timer);
    }
    if (res.status >= 400) {
      const r = await readResponse(res);
      throw apiError(r.status, r.body, typeof r.body === 'string' ? r.body : '');
    }
    return res;
  }
}

async function readResponse(res: Response): Promise<ApiResponse> {
  const contentType = res.headers.get('content-type') ?? '';
  const text = await res.text();
  const json = /\bjson\b/.test(contentType);
  let body: unknown = text === '' ? null : text;
  if (json && text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return { status: res.status, headers: res.headers, contentType, body, json };
}
