import type { RequestHandler } from 'express';
import { context, propagation, trace, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { tracer } from '@codex-manager/core';

/** One server span per request, continuing an incoming `traceparent`; the trace id is echoed back. */
export const requestSpan: RequestHandler = (req, res, next) => {
  const parent = propagation.extract(context.active(), req.headers);
  const span = tracer().startSpan(
    `${req.method} ${req.path}`,
    { kind: SpanKind.SERVER, attributes: { 'http.method': req.method, 'http.target': req.originalUrl } },
    parent,
  );
  res.setHeader('x-trace-id', span.spanContext().traceId);
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    span.setAttribute('http.status_code', res.statusCode);
    if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  };
  res.on('finish', end);
  res.on('close', end);
  context.with(trace.setSpan(parent, span), next);
};
