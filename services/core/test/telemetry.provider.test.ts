import { context, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { createTracerProvider } from '../src/telemetry';

const propagator = new W3CTraceContextPropagator();
const traceparentOf = (span: ReturnType<ReturnType<typeof trace.getTracer>['startSpan']>) => {
  const carrier: Record<string, string> = {};
  propagator.inject(trace.setSpan(context.active(), span), carrier, {
    set: (c, k, v) => ((c as Record<string, string>)[k] = v),
  });
  return carrier.traceparent;
};

describe('the tracer provider', () => {
  it('without an exporter records nothing, yet every span has ids that travel on', async () => {
    const provider = createTracerProvider({ serviceName: 'test' });
    const tracer = provider.getTracer('test');
    const parent = tracer.startSpan('request');
    const child = tracer.startSpan('work', {}, trace.setSpan(context.active(), parent));
    expect(parent.isRecording()).toBe(false);
    expect(trace.isSpanContextValid(parent.spanContext())).toBe(true);
    // the child continues the parent's trace, with a span id of its own
    expect(child.spanContext().traceId).toBe(parent.spanContext().traceId);
    expect(child.spanContext().spanId).not.toBe(parent.spanContext().spanId);
    expect(traceparentOf(child)).toMatch(
      new RegExp(`^00-${parent.spanContext().traceId}-${child.spanContext().spanId}-0[01]$`),
    );
    child.end();
    parent.end();
    await provider.shutdown();
  });

  it('with an exporter records and exports every span', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = createTracerProvider({ serviceName: 'test', exporter });
    const span = provider.getTracer('test').startSpan('request', { attributes: { n: 1 } });
    expect(span.isRecording()).toBe(true);
    span.end();
    await provider.forceFlush();
    expect(exporter.getFinishedSpans().map((s) => [s.name, s.attributes.n])).toEqual([['request', 1]]);
    await provider.shutdown();
  });
});
