import { DELTA_METHODS, type NewEvent } from '@codex-manager/core';

const COALESCIBLE = new Set<string>(DELTA_METHODS);

/** Keeps each event a reasonable size: a long burst becomes several events, not one huge row. */
export const MAX_COALESCED_CHARS = 32 * 1024;

interface DeltaParams extends Record<string, unknown> {
  delta: string;
}

/**
 * What must be equal for two deltas to merge: method, every param but `delta` (thread, turn, item,
 * summary/content index) and the trace. Null for anything that is not a text delta.
 */
function keyOf(e: NewEvent): string | null {
  const method = e.data.method;
  if (typeof method !== 'string' || !COALESCIBLE.has(method) || 'requestId' in e.data) return null;
  const params = e.data.params as Record<string, unknown> | undefined;
  if (!params || typeof params.delta !== 'string') return null;
  const { delta: _delta, ...rest } = params;
  return `${method}\u0000${JSON.stringify(rest)}\u0000${e.traceId ?? ''}`;
}

/**
 * Merges runs of consecutive deltas of the same item into one event, to bound database writes
 * during a burst (a 2,000-delta flood becomes a few dozen rows). Only adjacent events merge, so the
 * order of everything in the log is unchanged and the concatenated text is identical. A merged event
 * is the first delta with `data.params.delta` = the concatenation and `data.coalesced` = how many
 * notifications it carries (absent when 1). Inputs are not modified: a failed append retries them.
 */
export function coalesceDeltas(events: NewEvent[]): NewEvent[] {
  const out: NewEvent[] = [];
  let lastKey: string | null = null;
  for (const e of events) {
    const key = keyOf(e);
    const prev = out[out.length - 1];
    if (key !== null && key === lastKey && prev) {
      const prevParams = prev.data.params as DeltaParams;
      const delta = (e.data.params as DeltaParams).delta;
      if (prevParams.delta.length + delta.length <= MAX_COALESCED_CHARS) {
        out[out.length - 1] = {
          ...prev,
          data: {
            ...prev.data,
            params: { ...prevParams, delta: prevParams.delta + delta },
            coalesced: ((prev.data.coalesced as number | undefined) ?? 1) + 1,
          },
        };
        continue;
      }
    }
    out.push(e);
    lastKey = key;
  }
  return out;
}
