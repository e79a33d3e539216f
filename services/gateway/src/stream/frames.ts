import type { EventEnvelope } from '@codex-manager/core';
import type { StreamEnd } from './event-hub';

/** The body of the `error` frame that precedes the server closing a stream (same on SSE and socket.io). */
export interface EndFrame {
  code: StreamEnd['code'];
  message: string;
  /** Resume from this seq (SSE: `Last-Event-ID`, socket.io: `auth.after`). */
  resumeFrom: number;
  /** `cursor_expired` only: the compaction mark and where to resume once state is re-read. */
  compactedBelow?: number;
  head?: number;
}

const MESSAGES: Record<StreamEnd['code'], string> = {
  slow_consumer: 'the client read too slowly and its buffer overflowed; reconnect and resume from resumeFrom',
  server_shutdown: 'the gateway is shutting down; reconnect and resume from resumeFrom',
  internal_error: 'the stream failed on the server; reconnect and resume from resumeFrom',
  cursor_expired:
    'the cursor is older than the retained event log (delta events were compacted); re-read state over REST, then resume from head',
};

export function endFrame(r: StreamEnd): EndFrame {
  const f: EndFrame = { code: r.code, message: MESSAGES[r.code], resumeFrom: r.resumeFrom };
  if (r.compactedBelow !== undefined) f.compactedBelow = r.compactedBelow;
  if (r.head !== undefined) f.head = r.head;
  return f;
}

/**
 * Encodes a batch once however many subscribers receive it: the hub hands every unfiltered
 * subscriber the same array, so 20 clients cost one serialisation instead of 20.
 */
export function encodeOnce<T>(encode: (events: EventEnvelope[]) => T): (events: EventEnvelope[]) => T {
  const cache = new WeakMap<EventEnvelope[], T>();
  return (events) => {
    let out = cache.get(events);
    if (out === undefined) {
      out = encode(events);
      cache.set(events, out);
    }
    return out;
  };
}
