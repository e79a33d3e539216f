import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { planReply, type ResponsesRequest } from './scenarios';
import { encodeSse, responseEvents, usageFor, type StreamReply } from './sse';

export interface ScriptedModelOptions {
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
}

export interface ScriptedModel {
  /** Base URL ending in `/v1`, the provider `base_url` for codex. */
  url: string;
  port: number;
  /** Model requests (`POST /v1/responses`) received so far. */
  requestCount(): number;
  /** Event streams still being written; drops to 0 once a client disconnects mid-stream. */
  openStreams(): number;
  close(): Promise<void>;
}

/** Codex sends ~40 KB per request; anything far beyond that is not a codex request. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

class BadRequest extends Error {}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readJson(req: http.IncomingMessage): Promise<ResponsesRequest> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new BadRequest(`request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as ResponsesRequest;
  } catch (e) {
    throw new BadRequest(`request body is not JSON: ${(e as Error).message}`);
  }
}

/**
 * Writes the reply as SSE. Slow scenarios pause between events; when the client goes away (codex
 * interrupting a turn) the pause is aborted and nothing more is written.
 */
async function writeStream(
  res: http.ServerResponse,
  responseId: string,
  body: ResponsesRequest,
  reply: StreamReply,
): Promise<void> {
  const gone = new AbortController();
  res.on('close', () => gone.abort());
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const usage = usageFor(body.input?.length ?? 0, reply);
  for (const ev of responseEvents(responseId, body.model ?? 'mock-model', reply, usage)) {
    if (ev.delayMs > 0) {
      try {
        await sleep(ev.delayMs, undefined, { signal: gone.signal });
      } catch {
        return;
      }
    }
    if (gone.signal.aborted) return;
    res.write(encodeSse(ev.type, ev.data));
  }
  res.end();
}

export async function startScriptedModel(opts: ScriptedModelOptions = {}): Promise<ScriptedModel> {
  const host = opts.host ?? '127.0.0.1';
  let requests = 0;
  let streams = 0;

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/health') return sendJson(res, 200, { ok: true });
    if (req.method !== 'POST' || path !== '/v1/responses') {
      return sendJson(res, 404, { error: { message: `no route ${req.method} ${path}` } });
    }
    const body = await readJson(req);
    if (body.stream !== true) throw new BadRequest('only streaming requests (stream: true) are scripted');
    requests += 1;
    const reply = planReply(body);
    if (reply.kind === 'http') return sendJson(res, reply.status, reply.body);
    streams += 1;
    try {
      await writeStream(res, `resp_${requests}`, body, reply);
    } finally {
      streams -= 1;
    }
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const error = e instanceof Error ? e : new Error(String(e));
      if (res.headersSent) res.destroy(error);
      else sendJson(res, error instanceof BadRequest ? 400 : 500, { error: { message: error.message } });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}/v1`,
    port,
    requestCount: () => requests,
    openStreams: () => streams,
    // Streams still open (slow scenarios, a codex keep-alive socket) would hold close() forever.
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
      }),
  };
}
