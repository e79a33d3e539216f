import type http from 'node:http';
import { Server, type ExtendedError, type Socket } from 'socket.io';
import {
  AppError,
  CursorExpiredError,
  ErrorCode,
  invalidRequest,
  toErrorBody,
  type Logger,
} from '@codex-manager/core';
import { bearerFrom, tokenMatches } from '../http/auth';
import type { EventHub } from './event-hub';
import { endFrame } from './frames';
import { handshakeAuth, SOCKET_PATH, type ServerFrames } from './protocol';
import { SocketSession } from './socket-session';

export interface SocketStreamOptions {
  hub: EventHub;
  apiToken: string | undefined;
  log: Logger;
  /** Bytes a client may have unsent before it is cut off with a resume hint. */
  maxBufferedBytes: number;
}

interface SocketData {
  cursor: number;
  head: number;
  expired?: CursorExpiredError;
}

type StreamSocket = Socket<Record<string, never>, ServerFrames, Record<string, never>, SocketData>;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/**
 * A browser page from another site must not read the stream of a gateway on this machine (WebSockets
 * are not bound by CORS). Accepted: no Origin (not a browser), the gateway's own origin, or a loopback
 * origin (a local dev server proxying to the gateway).
 */
export function originAllowed(origin: string | undefined, host: string | undefined): boolean {
  if (!origin) return true;
  try {
    const u = new URL(origin);
    return u.host === host || LOOPBACK.has(u.hostname);
  } catch {
    return false;
  }
}

/** Refusals at the handshake reach the client as `connect_error` with `err.data = {error:{code,…}}`. */
function refusal(e: AppError): ExtendedError {
  const err: ExtendedError = new Error(e.code);
  err.data = toErrorBody(e);
  return err;
}

/**
 * The socket.io stream at `/api/socket.io`, on the gateway's HTTP server: bearer token checked on the
 * handshake (constant time, as for REST), resume cursor resolved against the database, then one
 * `SocketSession` per socket. Cross-instance broadcast (an adapter) is not needed: every gateway
 * tails the event log itself, and nothing a client sees is emitted by a gateway directly.
 */
export function attachSocketStream(
  server: http.Server,
  opts: SocketStreamOptions,
): { close(): Promise<void> } {
  const io = new Server<Record<string, never>, ServerFrames, Record<string, never>, SocketData>(server, {
    path: SOCKET_PATH,
    serveClient: false,
    maxHttpBufferSize: 100_000,
    allowRequest: (req, callback) => callback(null, originAllowed(req.headers.origin, req.headers.host)),
  });
  const sessions = new Set<SocketSession>();

  io.use((socket: StreamSocket, next) => {
    const auth = handshakeAuth.safeParse(socket.handshake.auth ?? {});
    if (!auth.success) {
      const issues = auth.error.issues.map((i) => ({
        path: ['auth', ...i.path].join('.'),
        message: i.message,
      }));
      return next(
        refusal(
          invalidRequest(`invalid handshake: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, {
            issues,
          }),
        ),
      );
    }
    if (opts.apiToken) {
      const presented = auth.data.token ?? bearerFrom(socket.handshake.headers.authorization);
      if (!tokenMatches(opts.apiToken, presented)) {
        return next(
          refusal(
            new AppError(ErrorCode.unauthorized, 'missing or wrong bearer token', {
              suggestion: 'pass auth: {token: <CM_API_TOKEN>} to io()',
            }),
          ),
        );
      }
    }
    opts.hub.openCursor(auth.data.after).then(
      ({ cursor, head }) => {
        socket.data = { cursor, head };
        next();
      },
      (e: unknown) => {
        if (e instanceof CursorExpiredError) {
          // Connect anyway so the client gets the explicit frame, then disconnect it.
          socket.data = { cursor: e.cursor, head: e.head, expired: e };
          return next();
        }
        if (e instanceof AppError) return next(refusal(e));
        opts.log.error({ err: (e as Error).message }, 'socket handshake failed');
        next(refusal(new AppError(ErrorCode.internal, 'the stream is not available')));
      },
    );
  });

  io.on('connection', (socket: StreamSocket) => {
    const { cursor, head, expired } = socket.data;
    if (expired) {
      socket.emit(
        'error',
        endFrame({
          code: 'cursor_expired',
          resumeFrom: expired.cursor,
          compactedBelow: expired.compactedBelow,
          head: expired.head,
        }),
      );
      socket.disconnect(true);
      return;
    }
    const session = new SocketSession(
      socket,
      opts.hub,
      cursor,
      { maxBufferedBytes: opts.maxBufferedBytes },
      opts.log,
    );
    sessions.add(session);
    socket.on('disconnect', () => sessions.delete(session));
    session.open(head);
  });

  return {
    close: async () => {
      for (const s of [...sessions]) s.end({ code: 'server_shutdown', resumeFrom: s.position });
      // Not io.close(): it would also wait for the HTTP server, whose SSE clients the hub ends later.
      await new Promise((r) => setTimeout(r, 50).unref()); // lets the error frames go out
      io.engine.close();
    },
  };
}
