/** Spans received over OTLP/HTTP JSON, grouped by trace, bounded in memory. */
export interface StoredSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  service: string;
  startMs: number;
  durationMs: number;
  attributes: Record<string, unknown>;
  status: number;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface OtlpAttr {
  key: string;
  value: OtlpValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startTimeUnixNano: string | number;
  endTimeUnixNano: string | number;
  attributes?: OtlpAttr[];
  status?: { code?: number };
}
export interface OtlpTraces {
  resourceSpans?: { resource?: { attributes?: OtlpAttr[] }; scopeSpans?: { spans?: OtlpSpan[] }[] }[];
}

const valueOf = (v: OtlpValue): unknown =>
  v.stringValue ?? v.intValue ?? v.doubleValue ?? v.boolValue ?? null;
const attrs = (list: OtlpAttr[] | undefined): Record<string, unknown> =>
  Object.fromEntries((list ?? []).map((a) => [a.key, valueOf(a.value)]));
// OTLP JSON ids are hex strings (the exporter's JSON encoding); nanos may arrive as strings.
const ms = (nanos: string | number): number => Number(BigInt(nanos) / 1000n) / 1000;

export class SpanStore {
  #traces = new Map<string, StoredSpan[]>();

  constructor(private readonly maxTraces = 1000) {}

  ingest(body: OtlpTraces): number {
    let n = 0;
    for (const rs of body.resourceSpans ?? []) {
      const service = String(attrs(rs.resource?.attributes)['service.name'] ?? 'unknown');
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          const start = ms(s.startTimeUnixNano);
          const span: StoredSpan = {
            traceId: s.traceId,
            spanId: s.spanId,
            parentSpanId: s.parentSpanId || null,
            name: s.name,
            service,
            startMs: start,
            durationMs: ms(s.endTimeUnixNano) - start,
            attributes: attrs(s.attributes),
            status: s.status?.code ?? 0,
          };
          const list = this.#traces.get(span.traceId) ?? [];
          if (list.length === 0) this.#traces.set(span.traceId, list);
          list.push(span);
          n++;
        }
      }
    }
    while (this.#traces.size > this.maxTraces) this.#traces.delete(this.#traces.keys().next().value!);
    return n;
  }

  trace(traceId: string): StoredSpan[] {
    return [...(this.#traces.get(traceId) ?? [])].sort((a, b) => a.startMs - b.startMs);
  }

  /** Newest first: id, root span name, services, span count, start. */
  list(): { traceId: string; root: string; services: string[]; spans: number; startMs: number }[] {
    return [...this.#traces.entries()]
      .map(([traceId, spans]) => {
        const sorted = [...spans].sort((a, b) => a.startMs - b.startMs);
        return {
          traceId,
          root: (sorted.find((s) => !s.parentSpanId) ?? sorted[0])!.name,
          services: [...new Set(spans.map((s) => s.service))].sort(),
          spans: spans.length,
          startMs: sorted[0]!.startMs,
        };
      })
      .sort((a, b) => b.startMs - a.startMs);
  }
}
