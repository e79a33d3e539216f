import {
  context,
  propagation,
  trace,
  SpanStatusCode,
  TraceFlags,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  BatchSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

/** W3C trace context as stored in command, event and job rows (`{traceparent, tracestate?}`). */
export type TraceCarrier = Record<string, string>;

export interface TelemetryOptions {
  serviceName: string;
  otlpEndpoint?: string;
  /** Extra exporter (tests use an in-memory exporter). */
  exporter?: SpanExporter;
}

export interface Telemetry {
  tracer: Tracer;
  shutdown(): Promise<void>;
}

/**
 * The tracer provider of one service. Without an exporter (no endpoint) spans are not recorded:
 * each still gets its ids, so trace ids travel through command and event rows and show in logs,
 * but nothing keeps their names, attributes and timings, which nobody would ever see.
 */
export function createTracerProvider(opts: TelemetryOptions): NodeTracerProvider {
  const spanProcessors: SpanProcessor[] = [];
  if (opts.otlpEndpoint) {
    const url = opts.otlpEndpoint.replace(/\/$/, '') + '/v1/traces';
    spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url })));
  }
  if (opts.exporter) spanProcessors.push(new BatchSpanProcessor(opts.exporter, { scheduledDelayMillis: 50 }));
  return new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: opts.serviceName }),
    spanProcessors,
    ...(spanProcessors.length === 0 ? { sampler: new AlwaysOffSampler() } : {}),
  });
}

/** Starts tracing for one service (see `createTracerProvider`). */
export function startTelemetry(opts: TelemetryOptions): Telemetry {
  const provider = createTracerProvider(opts);
  provider.register({ propagator: new W3CTraceContextPropagator() });
  return {
    tracer: trace.getTracer(opts.serviceName),
    shutdown: () => provider.shutdown(),
  };
}

export const tracer = (): Tracer => trace.getTracer('codex-manager');

/** The active context serialised for a row (`trace_context` column). */
export function injectTrace(ctx: Context = context.active()): TraceCarrier | null {
  const carrier: TraceCarrier = {};
  propagation.inject(ctx, carrier);
  return carrier.traceparent ? carrier : null;
}

export function extractTrace(carrier: TraceCarrier | null | undefined): Context {
  return carrier ? propagation.extract(context.active(), carrier) : context.active();
}

/**
 * The context of the span that caused an event, as a remote parent: spans started in it (fan-out,
 * an extension's handler, the job it queues) join the trace of the request behind the event.
 */
export function eventContext(
  e: { traceId?: string; spanId?: string },
  base: Context = context.active(),
): Context {
  if (!e.traceId || !e.spanId) return base;
  return trace.setSpanContext(base, {
    traceId: e.traceId,
    spanId: e.spanId,
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  });
}

/**
 * A span for work caused by an event (an extension's handler): a child of the event's span, or
 * nothing at all for an untraced event. `run` executes in the span's context, so what the work
 * writes (commands, jobs, events) carries the trace on.
 */
export function eventSpan(
  name: string,
  attributes: Record<string, string | number | boolean>,
  e: { traceId?: string; spanId?: string },
): { run<T>(fn: () => T): T; end(error?: unknown): void } {
  if (!e.traceId || !e.spanId) return { run: (fn) => fn(), end: () => undefined };
  const parent = eventContext(e);
  const span = tracer().startSpan(name, { attributes }, parent);
  const ctx = trace.setSpan(parent, span);
  return {
    run: (fn) => context.with(ctx, fn),
    end(error?: unknown) {
      if (error) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message ?? String(error) });
      }
      span.end();
    },
  };
}

/** The trace and span ids of the active span, for stamping the events it causes. */
export function activeTraceIds(ctx: Context = context.active()): { traceId: string; spanId: string } | null {
  const sc = trace.getSpanContext(ctx);
  return sc && trace.isSpanContextValid(sc) ? { traceId: sc.traceId, spanId: sc.spanId } : null;
}

/** Trace and span ids from a stored carrier (`00-<trace>-<span>-<flags>`), for stamping events. */
export function traceIdsOf(
  carrier: TraceCarrier | null | undefined,
): { traceId: string; spanId: string } | null {
  const parts = carrier?.traceparent?.split('-');
  return parts && parts.length === 4 && parts[1] && parts[2] ? { traceId: parts[1], spanId: parts[2] } : null;
}

/** Runs `fn` in a new span (child of `parent` or the active context), recording failures. */
export async function withSpan<T>(
  name: string,
  attributes: Record<string, string | number | boolean>,
  fn: (span: Span) => Promise<T>,
  parent?: Context,
): Promise<T> {
  return tracer().startActiveSpan(name, { attributes }, parent ?? context.active(), async (span) => {
    try {
      return await fn(span);
    } catch (e) {
      span.recordException(e as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error).message });
      throw e;
    } finally {
      span.end();
    }
  });
}
