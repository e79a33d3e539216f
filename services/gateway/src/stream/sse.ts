import type { Request, Response } from 'express';
import { z } from 'zod';
import { AppError, CursorExpiredError, ErrorCode, type EventEnvelope } from '@codex-manager/core';
import { route, type RouteSpec } from '../http/route';
import type { EventHub, StreamEnd } from './event-hub';
import { encodeOnce, endFrame } from './frames';

const csv = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  )
  .optional();

export const streamQuery = z.object({
  after: z.coerce.number().int().min(0).optional(),
  threads: csv,
  types: csv,
  access_token: z.string().optional(),
});

export interface SseOptions {
  pingMs: number;
  /** Bytes a client may have unsent before it is cut off with a resume hint. */
  maxBufferedBytes: number;
}

function frame(res: Response, fields: { id?: number; event?: string; data: unknown }): boolean {
  let out = '';
  if (fields.id !== undefined) out += `id: ${fields.id}\n`;
  if (fields.event) out += `event: ${fields.event}\n`;
  out += `data: ${JSON.stringify(fields.data)}\n\n`;
  return res.write(out);
}

function cursorFrom(req: Request, after: number | undefined): number | undefined {
  const last = req.header('last-event-id');
  if (last !== undefined && last !== '') {
    if (!/^\d+$/.test(last))
      throw new AppError(ErrorCode.invalidRequest, 'Last-Event-ID must be an event seq');
    return Number(last);
  }
  return after;
}

/**
 * `GET /api/stream`: Server-Sent Events over the event log. Resume with `Last-Event-ID` (or
 * `?after=`); without either the stream starts at the current head. Frames: `ready` (head and the
 * cursor in use), one unnamed frame per event with `id: seq`, `error` before the server closes
 * (slow consumer, shutdown, expired cursor), and a `: ping` comment every `pingMs`.
 */
export function streamRoutes(hub: EventHub, opts: SseOptions): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/stream',
      operationId: 'stream.events',
      summary: 'Server-Sent Events over the event log, resumable with Last-Event-ID',
      query: streamQuery,
      stream: true,
      responses: {
        200: { description: 'text/event-stream of event envelopes' },
        400: { description: 'Bad cursor (not a seq, or ahead of the log)' },
      },
      handler: ({ req, res, query }) => serve(hub, opts, req, res, query),
    }),
  ];
}

function startStream(req: Request, res: Response): void {
  res.status(200).set({
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders();
  req.socket.setNoDelay(true);
}

/** One frame string per batch, shared by every unfiltered client of this gateway. */
const encodeBatch = encodeOnce((events: EventEnvelope[]) => {
  let out = '';
  for (const e of events) out += `id: ${e.seq}\ndata: ${JSON.stringify(e)}\n\n`;
  return out;
});

async function serve(
  hub: EventHub,
  opts: SseOptions,
  req: Request,
  res: Response,
  q: z.output<typeof streamQuery>,
): Promise<void> {
  let opened: { cursor: number; head: number };
  try {
    opened = await hub.openCursor(cursorFrom(req, q.after));
  } catch (e) {
    if (!(e instanceof CursorExpiredError)) throw e;
    startStream(req, res);
    const end = endFrame({
      code: 'cursor_expired',
      resumeFrom: e.cursor,
      compactedBelow: e.compactedBelow,
      head: e.head,
    });
    frame(res, { event: 'error', data: end });
    res.end();
    return;
  }
  const { cursor, head } = opened;
  startStream(req, res);
  frame(res, { event: 'ready', data: { head, cursor } });
  let closed = false;
  const ping = setInterval(() => {
    if (!closed) res.write(': ping\n\n');
  }, opts.pingMs);
  const filter: { threadIds?: string[]; typePrefixes?: string[] } = {};
  if (q.threads) filter.threadIds = q.threads;
  if (q.types) filter.typePrefixes = q.types;
  const subscription = hub.subscribe(
    {
      filter,
      deliver: (events: EventEnvelope[]) => {
        if (closed) return true; // the close handler unsubscribes
        if (res.writableLength > opts.maxBufferedBytes) return false;
        res.write(encodeBatch(events));
        return true;
      },
      drained: () =>
        closed || !res.writableNeedDrain
          ? Promise.resolve()
          : new Promise<void>((resolve) => {
              const done = () => {
                res.off('drain', done);
                res.off('close', done);
                resolve();
              };
              res.on('drain', done);
              res.on('close', done);
            }),
      end: (reason: StreamEnd) => {
        if (closed) return;
        closed = true;
        clearInterval(ping); // a client that stopped reading may not 'close' for a long time
        frame(res, { event: 'error', data: endFrame(reason) });
        res.end();
      },
    },
    cursor,
  );
  res.on('close', () => {
    closed = true;
    clearInterval(ping);
    subscription.cancel();
  });
}
