import pino, { type Logger } from 'pino';
import { trace } from '@opentelemetry/api';

export type { Logger } from 'pino';

/** Paths whose values are secrets: never written to a log line. */
const REDACT = [
  'apiToken',
  'token',
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'OPENAI_API_KEY',
  'env.OPENAI_API_KEY',
  'apiKey',
  'params.apiKey',
  '*.apiKey',
  '*.token',
];

/** Structured JSON logs, one line an entry, with the active trace id when there is one. */
export function createLogger(service: string, level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      mixin() {
        const span = trace.getActiveSpan();
        if (!span) return {};
        const ctx = span.spanContext();
        return { traceId: ctx.traceId, spanId: ctx.spanId };
      },
    },
    destination,
  );
}
