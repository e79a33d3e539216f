/**
 * The stream envelope, identical on every transport (SSE, socket.io) and in the database.
 * Families: `runtime.*` (one per app-server notification; `data.method` keeps the method verbatim),
 * `request.*`, `session.*`, `turn.*`, `transcript.updated`, `job.*`, `extension.*`, `runtime.status`.
 */
export interface EventEnvelope {
  /** Global, gap-free delivery order; resume cursors are seq values. */
  seq: number;
  /** ISO-8601 time the event was appended. */
  ts: string;
  /** Event type, e.g. `runtime.item.agentMessage.delta`, `turn.interrupted`. */
  type: string;
  /** Runtime thread (= session id) the event belongs to, when it belongs to one. */
  threadId?: string;
  turnId?: string;
  itemId?: string;
  /** Which service appended it: `runtime-bridge`, `gateway`, `queue-worker`, `extension-host`. */
  source: string;
  /** Payload; for `runtime.*`: `{method, params}` exactly as the runtime sent them. */
  data: Record<string, unknown>;
  /** Trace that caused the event, when one did. */
  traceId?: string;
  /** The span within that trace that caused it: whoever reacts to the event continues from here. */
  spanId?: string;
}

export type NewEvent = Omit<EventEnvelope, 'seq' | 'ts'>;

export interface EventFilter {
  /** Only these threads (session ids). */
  threadIds?: string[];
  /** Only types starting with one of these prefixes, e.g. `runtime.item.` or `turn.`. */
  typePrefixes?: string[];
}

/**
 * Runtime notifications that stream a piece of an item's text (`params.delta`, a string, plus
 * threadId/turnId/itemId and an index for reasoning). They may be coalesced by the runtime-bridge
 * (`data.coalesced` = how many notifications one event carries) and compacted once their turn is
 * over and they are older than the retention; the item's `item/completed` carries the whole text.
 */
export const DELTA_METHODS = [
  'item/agentMessage/delta',
  'item/commandExecution/outputDelta',
  'item/fileChange/outputDelta',
  'item/plan/delta',
  'item/reasoning/summaryTextDelta',
  'item/reasoning/textDelta',
] as const;

/** `item/agentMessage/delta` → `runtime.item.agentMessage.delta` */
export const runtimeEventType = (method: string): string => 'runtime.' + method.replace(/\//g, '.');

export function matchesFilter(
  e: Pick<EventEnvelope, 'type' | 'threadId'>,
  f: EventFilter | undefined,
): boolean {
  if (!f) return true;
  if (f.threadIds && f.threadIds.length > 0 && (!e.threadId || !f.threadIds.includes(e.threadId)))
    return false;
  if (f.typePrefixes && f.typePrefixes.length > 0 && !f.typePrefixes.some((p) => e.type.startsWith(p)))
    return false;
  return true;
}

/** Event types of `DELTA_METHODS`, e.g. `runtime.item.agentMessage.delta`. */
export const DELTA_EVENT_TYPES: readonly string[] = DELTA_METHODS.map(runtimeEventType);
