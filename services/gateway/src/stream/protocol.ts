import { z } from 'zod';
import type { EventEnvelope } from '@codex-manager/core';
import type { EndFrame } from './frames';

/**
 * The socket.io stream protocol (version 1), documented in docs/api.md. Every client → server payload
 * is validated here; anything else gets an `error` frame with `invalid_request` and changes nothing.
 */
export const PROTOCOL_VERSION = 1;
export const SOCKET_PATH = '/api/socket.io';

const seq = z.union([z.number().int().min(0), z.string().regex(/^\d+$/).transform(Number)]);
const threadId = z.string().min(1).max(200);

/** `io(url, {path, auth})`: what the handshake's `auth` object may carry. */
export const handshakeAuth = z.looseObject({
  /** CM_API_TOKEN, when the gateway has one (an `Authorization: Bearer` header works too). */
  token: z.string().optional(),
  /** Resume cursor: events after this seq. Default: the current head (live only). */
  after: seq.optional(),
});

/** `subscribe`: adds threads (none given: all threads); `types` replaces the type-prefix filter. */
export const subscribeCommand = z
  .object({
    threads: z.array(threadId).min(1).max(1000).optional(),
    types: z.array(z.string().min(1).max(200)).max(100).optional(),
  })
  .strict();

/** `unsubscribe`: removes threads (none given: everything; the stream keeps its position). */
export const unsubscribeCommand = z
  .object({ threads: z.array(threadId).min(1).max(1000).optional() })
  .strict();

/** `ping`: answered by `pong` with the same nonce. */
export const pingCommand = z
  .object({ nonce: z.union([z.string().max(200), z.number()]).optional() })
  .strict();

export const COMMANDS = { subscribe: subscribeCommand, unsubscribe: unsubscribeCommand, ping: pingCommand };
export type CommandName = keyof typeof COMMANDS;

/** The socket's subscription after a `subscribe` / `unsubscribe`. */
export interface SubscriptionFrame {
  /** Subscribed to every thread. */
  all: boolean;
  /** Threads subscribed to one by one (empty when `all`). */
  threads: string[];
  /** Type prefixes; empty means every type. */
  types: string[];
  /** The change applies to events after this seq. */
  cursor: number;
}

export interface ReadyFrame {
  protocol: number;
  /** Newest seq in the log when the socket connected. */
  head: number;
  /** Where delivery starts once the socket subscribes (`auth.after`, else `head`). */
  cursor: number;
}

export interface PongFrame {
  nonce?: string | number;
  /** Server time, ISO-8601. */
  ts: string;
  head: number;
  /** Every matching event up to this seq has been sent before this frame: a valid resume cursor. */
  cursor: number;
}

/** `error`: a command was refused (the socket stays), or the stream ends (the server disconnects). */
export type ErrorFrame =
  | { code: 'invalid_request'; message: string; command?: string; details?: Record<string, unknown> }
  | EndFrame;

/** Server → client events. */
export interface ServerFrames {
  ready: (f: ReadyFrame) => void;
  /** Consecutive matching events, oldest first (one batch per read; each envelope as on SSE). */
  events: (batch: EventEnvelope[]) => void;
  subscription: (f: SubscriptionFrame) => void;
  pong: (f: PongFrame) => void;
  error: (f: ErrorFrame) => void;
}
