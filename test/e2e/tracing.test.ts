import { randomBytes } from 'node:crypto';
import { startTraceViewer, type TraceViewer } from '../../ops/trace-viewer/server';
import type { StoredSpan } from '../../ops/trace-viewer/store';
import { SseClient } from '../helpers/sse';
import { startStack, type Stack } from '../helpers/stack';

// One user request, one trace, across the services: the services export to an in-memory OTLP
// receiver (the bundled trace viewer) and the test follows a single trace id from the HTTP call
// through the runtime-bridge's runtime call, the gateway's stream fan-out, the extension handler
// that reacted to the turn's completion, and the job that handler queued.
jest.setTimeout(180_000);

let viewer: TraceViewer;
let stack: Stack;
beforeAll(async () => {
  viewer = await startTraceViewer();
  stack = await startStack('tracing', { env: { OTEL_EXPORTER_OTLP_ENDPOINT: viewer.url } });
});
afterAll(async () => {
  await stack?.stop();
  await viewer?.close();
});

async function until<T>(what: string, fn: () => T | null | undefined | false, ms = 90_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

it('a message, its turn, the fan-out, the extension and the job it queued share one trace', async () => {
  const created = await stack.api<{ session: { id: string } }>('POST', '/api/sessions', {});
  const session = created.body.session.id;
  // Opt this session into suggestions: the suggest-request extension then queues a job per turn.
  await stack.api('PUT', `/api/sessions/${session}/settings/suggestions.auto`, { value: true });
  const stream = new SseClient(`${stack.url}/api/stream?threads=${session}`);
  try {
    const traceId = randomBytes(16).toString('hex');
    const clientSpan = randomBytes(8).toString('hex');
    const sent = await stack.api(
      'POST',
      `/api/sessions/${session}/messages`,
      { text: 'scn:text traced' },
      {
        traceparent: `00-${traceId}-${clientSpan}-01`,
      },
    );
    expect(sent.status).toBe(202);

    const spans = () => viewer.store.trace(traceId);
    const named = (re: RegExp) => spans().find((s) => re.test(s.name));
    const job = await until('the suggestion job span', () => named(/^job suggest-request$/));
    const http = named(/^POST \/(api\/)?sessions\/[^/]+\/messages$/);
    const command = named(/^runtime turn\/start$/);
    const fanOut = await until('a fan-out span', () => named(/^stream fan-out$/));
    const handler = named(/^extension suggest-request runtime\.turn\.completed$/);

    if (!http || !command || !handler)
      throw new Error(
        `spans missing from the trace; it has: ${spans()
          .map((x) => `${x.service}: ${x.name}`)
          .join(', ')}`,
      );
    const services = new Set(spans().map((s: StoredSpan) => s.service));
    expect([...services].sort()).toEqual(
      expect.arrayContaining(['extension-host', 'gateway', 'queue-worker', 'runtime-bridge']),
    );
    // Causality, not just a shared id: each hop is the child of the one before it.
    expect(http.parentSpanId).toBe(clientSpan);
    expect(command.parentSpanId).toBe(http.spanId);
    expect(fanOut.parentSpanId).toBe(command.spanId);
    expect(handler.parentSpanId).toBe(command.spanId);
    expect(job.parentSpanId).toBe(handler.spanId);
    // The worker turn the job started is in the same trace too.
    expect(spans().some((s) => s.service === 'runtime-bridge' && s.parentSpanId === job.spanId)).toBe(true);
    // The events of the request carry the trace and the span that caused them.
    const { rows } = await stack.db.pool.query<{ type: string; span_id: string | null }>(
      `SELECT type, span_id FROM events WHERE trace_id = $1 AND thread_id = $2 ORDER BY seq`,
      [traceId, session],
    );
    expect(rows.find((r) => r.type === 'runtime.turn.completed')?.span_id).toBe(command.spanId);
  } finally {
    await stream.close();
  }
});
