import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanStore, type OtlpTraces } from './store';
import { renderTrace, renderTraceList } from './page';

export interface TraceViewer {
  url: string;
  store: SpanStore;
  close(): Promise<void>;
}

/**
 * A small OpenTelemetry trace viewer: accepts OTLP/HTTP JSON at `POST /v1/traces` (what the services'
 * exporter sends to OTEL_EXPORTER_OTLP_ENDPOINT), shows traces at `/` and `/trace/<id>`, and serves
 * them as JSON at `/api/traces` and `/api/traces/<id>`.
 */
export async function startTraceViewer(opts: { host?: string; port?: number } = {}): Promise<TraceViewer> {
  const store = new SpanStore();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    if (req.method === 'POST' && url.pathname === '/v1/traces') {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (raw += c));
      req.on('end', () => {
        try {
          store.ingest(JSON.parse(raw) as OtlpTraces);
          send(200, 'application/json', '{}');
        } catch {
          send(400, 'application/json', '{"error":"expected OTLP/HTTP JSON"}');
        }
      });
      return;
    }
    if (req.method !== 'GET') return send(405, 'text/plain', 'method not allowed');
    if (url.pathname === '/health') return send(200, 'text/plain', 'ok');
    if (url.pathname === '/api/traces') return send(200, 'application/json', JSON.stringify(store.list()));
    const id = /^\/(?:api\/)?traces?\/([0-9a-f]{32})$/.exec(url.pathname)?.[1];
    if (id && url.pathname.startsWith('/api/'))
      return send(200, 'application/json', JSON.stringify(store.trace(id)));
    if (id) return send(200, 'text/html; charset=utf-8', renderTrace(id, store.trace(id)));
    if (url.pathname === '/') return send(200, 'text/html; charset=utf-8', renderTraceList(store.list()));
    send(404, 'text/plain', 'not found');
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    store,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
