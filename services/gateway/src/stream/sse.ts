import type { Request, Response } from 'express';
import { z } from 'zod';
import { AppError, ErrorCode, type EventEnvelope } from '@codex-manager/core';
import { route, type RouteSpec } from '../http/route';
import type { EventHub } from './event-hub';

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

function cursorFrom(req: Request, after: number | undefined, head: number): number {
  const last = req.header('last-event-id');
  if (last !== undefined && last !== '') {
    if (!/^\d+$/.test(last))
      throw new AppError(ErrorCode.invalidRequest, 'Last-Event-ID must be an event seq');
    return Number(last);
  }
  return after ?? head;
}

/**
 * `GET /api/stream`: Server-Sent Events over the event log. Resume with `Last-Event-ID` (or
 * `?after=`); without either the stream starts at the current head. Frames: `ready` (head and the
 * cursor in use), one unnamed frame per event with `id: seq`, `error` before the server closes, and a
 * `: ping` comment every `pingMs`.
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
      responses: { 200: { description: 'text/event-stream of event envelopes' } },
      handler: ({ req, res, query }) => serve(hub, opts, req, res, query),
    }),
  ];
}

function serve(
  hub: EventHub,
  opts: SseOptions,
  req: Request,
  res: Response,
  q: z.output<typeof streamQuery>,
): void {
  const head = hub.head;
  const cursor = cursorFrom(req, q.after, head);
  if (cursor > head) {
    throw new AppError(ErrorCode.invalidRequest, `cursor ${cursor} is ahead of the event log head ${head}`, {
      details: { cursor, head },
    });
  }
  res.status(200).set({
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders();
  req.socket.setNoDelay(true);
  frame(res, { event: 'ready', data: { head, cursor } });
  let lastSent = cursor;
  let closed = false;
  const close = (reason: string) => {
    if (closed) return;
    closed = true;
    frame(res, { event: 'error', data: { code: reason, resumeFrom: lastSent } });
    res.end();
  };
  const filter: { threadIds?: string[]; typePrefixes?: string[] } = {};
  if (q.threads) filter.threadIds = q.threads;
  if (q.types) filter.typePrefixes = q.types;
  const unsubscribe = hub.subscribe(
    {
      filter,
      deliver: (events: EventEnvelope[]) => {
        if (closed) return false;
        for (const e of events) frame(res, { id: e.seq, data: e });
        lastSent = events[events.length - 1]!.seq;
        return res.writableLength <= opts.maxBufferedBytes;
      },
      close,
    },
    cursor,
  );
  const ping = setInterval(() => res.write(': ping\n\n'), opts.pingMs);
  req.on('close', () => {
    closed = true;
    clearInterval(ping);
    unsubscribe();
  });
}
