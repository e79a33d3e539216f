/**
 * The subset of the app-server JSON-RPC wire we route on. Server messages omit `jsonrpc`; a message
 * with `method` and `id` is a server→client request, with `method` only a notification, with `id`
 * and `result|error` a response. Server request ids are the server's own counter and collide with
 * ours numerically, so routing is by the presence of `method`.
 */
export type RequestId = number | string;

export interface RpcError {
  /** JSON-RPC error code, e.g. -32600 (invalid request), -32601 (method not found). */
  code: number;
  message: string;
  data?: unknown;
}

export interface ServerNotification {
  method: string;
  params: Record<string, unknown>;
  /** Present on notifications of 0.169: ms since epoch when the server emitted it. */
  emittedAtMs?: number;
}

export interface ServerRequest {
  id: RequestId;
  method: string;
  params: Record<string, unknown>;
}

export type ServerMessage =
  | ({ kind: 'notification' } & ServerNotification)
  | ({ kind: 'request' } & ServerRequest)
  | { kind: 'response'; id: RequestId; result?: unknown; error?: RpcError };

export function classify(msg: Record<string, unknown>): ServerMessage | null {
  if (typeof msg.method === 'string') {
    const params = (msg.params ?? {}) as Record<string, unknown>;
    if (msg.id !== undefined && msg.id !== null) {
      return { kind: 'request', id: msg.id as RequestId, method: msg.method, params };
    }
    const n: ServerMessage = { kind: 'notification', method: msg.method, params };
    if (typeof msg.emittedAtMs === 'number') n.emittedAtMs = msg.emittedAtMs;
    return n;
  }
  if (msg.id !== undefined) {
    const r: ServerMessage = { kind: 'response', id: msg.id as RequestId };
    if ('result' in msg) r.result = msg.result;
    if (msg.error) r.error = msg.error as RpcError;
    return r;
  }
  return null;
}

export interface InitializeResult {
  userAgent: string;
  codexHome: string;
  platformFamily?: string;
  platformOs?: string;
}
