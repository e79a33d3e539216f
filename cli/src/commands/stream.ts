import { Command } from 'commander';
import { z } from 'zod';
import { EventStream } from '../api/event-stream';
import { Context, type CliDeps } from '../context';
import { describeEvent } from '../events/describe';
import { parseOptions } from './options';

/**
 * `cmgr stream`: tails `GET /api/stream` (operation `stream.events`). Filters by thread and type
 * prefix, resumes from `--after <seq>`, reconnects by itself, and prints the last seq when it stops so
 * the next run can pick up exactly there.
 */
export const STREAM_OPERATION = 'stream.events';
/** How the stream route's query parameters map to this command's flags (checked by the parity test). */
export const STREAM_PARAMS: Record<string, string | null> = {
  after: '--after',
  threads: '--thread',
  types: '--type',
  // The token travels in the Authorization header; the query form exists for browsers' EventSource.
  access_token: null,
};

const collect = (v: string, prev: string[] = []) => [
  ...prev,
  ...v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
];

const options = z.object({
  thread: z.array(z.string()).default([]),
  type: z.array(z.string()).default([]),
  after: z.coerce
    .number()
    .int('expected a seq (integer ≥ 0)')
    .min(0, 'expected a seq (integer ≥ 0)')
    .optional(),
  limit: z.coerce.number().int().positive('expected a count > 0').optional(),
  reconnect: z.boolean().default(true),
});

export function streamCommand(deps: CliDeps): Command {
  return new Command('stream')
    .description('Tail the live event stream (Server-Sent Events), with filters and resume')
    .option('--thread <id>', 'only events of this session/thread (repeat, or comma-separate)', collect)
    .option(
      '--type <prefix>',
      'only event types starting with this, e.g. runtime.item. or request. (repeatable)',
      collect,
    )
    .option('--after <seq>', 'start after this seq (0: from the beginning); default: live from now')
    .option('--limit <n>', 'stop after this many events')
    .option('--no-reconnect', 'exit (code 6) instead of reconnecting when the stream drops')
    .addHelpText(
      'after',
      [
        '',
        'Prints one line per event (NDJSON envelopes with --json). On exit it prints the last seq to',
        'stderr; pass it to --after to resume without a gap or a duplicate.',
        '',
        'Examples:',
        '  cmgr stream --thread $SESSION',
        '  cmgr stream --type request. --type job.',
        '  cmgr stream --after 1200 --json | jq .type',
        '',
        `Route: GET /api/stream  (${STREAM_OPERATION})`,
      ].join('\n'),
    )
    .action(async (_opts: unknown, self: Command) => {
      const ctx = Context.of(self, deps);
      const o = parseOptions(options, self.opts());
      const abort = new AbortController();
      const off = deps.onInterrupt(() => abort.abort());
      const stream = new EventStream(ctx.client(), {
        threads: o.thread,
        types: o.type,
        ...(o.after !== undefined ? { after: o.after } : {}),
        reconnect: o.reconnect,
        signal: abort.signal,
        onNotice: (m) => ctx.out.note(ctx.out.errStyle.dim(`… ${m}`)),
      });
      let count = 0;
      try {
        for await (const e of stream.events()) {
          ctx.out.write(
            ctx.out.json
              ? JSON.stringify(e) + '\n'
              : describeEvent(e, ctx.out.style, {
                  showThread: o.thread.length !== 1,
                  // Cut to the terminal's width; piped output keeps whole lines.
                  width: ctx.out.stdout.isTTY ? ctx.out.stdout.columns : undefined,
                }) + '\n',
          );
          if (o.limit !== undefined && ++count >= o.limit) break;
        }
      } finally {
        off();
        if (stream.cursor !== undefined) {
          const filters = [...o.thread.map((t) => `--thread ${t}`), ...o.type.map((t) => `--type ${t}`)].join(
            ' ',
          );
          ctx.out.note(
            ctx.out.errStyle.dim(
              `last seq ${stream.cursor}; resume with: cmgr stream --after ${stream.cursor}${filters ? ' ' + filters : ''}`,
            ),
          );
        }
      }
    });
}
