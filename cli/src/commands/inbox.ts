import { Command } from 'commander';
import { z } from 'zod';
import { EventStream } from '../api/event-stream';
import type { ApiRequest } from '../api/mapping';
import { LinePrompter, noPrompter } from '../chat/prompter';
import { askQuestions, DEFAULT_DECISIONS, parseDecision, toolInputBody, toolReply } from '../chat/questions';
import { Context, type CliDeps } from '../context';
import { usageError } from '../errors';
import {
  describeInboxEvent,
  INBOX_KINDS,
  parseAnswerFlag,
  renderInbox,
  targetId,
  type InboxItem,
  type InboxPage,
} from '../inbox/view';
import { parseOptions } from './options';

/**
 * `cmgr inbox`: everything that waits for a person, across sessions — list it, act on an item in
 * place (decide, answer, retry, dismiss), or watch items arrive and leave live. It owns the inbox
 * routes (`inbox.list`, `inbox.dismiss`); acting goes through the routes of the item's cause
 * (approvals, tool-input, jobs), as the API describes.
 */
export const INBOX_OPERATIONS = ['inbox.list', 'inbox.dismiss'];
/** How `inbox.list`'s query parameters map to `cmgr inbox list` flags (checked by the parity test). */
export const INBOX_LIST_PARAMS: Record<string, string> = {
  kind: '--kind',
  sessionId: '--session',
  projectId: '--project',
  limit: '--limit',
  cursor: '--cursor',
};

const collect = (v: string, prev: string[] = []) => [
  ...prev,
  ...v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
];
const collectRaw = (v: string, prev: string[] = []) => [...prev, v];

const kinds = z.array(z.enum(INBOX_KINDS, { message: `expected one of ${INBOX_KINDS.join(', ')}` }));

const listOptions = z.object({
  kind: kinds.default([]),
  session: z.string().min(1).optional(),
  project: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1, 'expected 1–200').max(200, 'expected 1–200').optional(),
  cursor: z.string().min(1).optional(),
});

const watchOptions = z.object({
  kind: kinds.default([]),
  session: z.array(z.string()).default([]),
  after: z.coerce.number().int().min(0, 'expected a seq (integer ≥ 0)').optional(),
  limit: z.coerce.number().int().positive('expected a count > 0').optional(),
  reconnect: z.boolean().default(true),
});

const post = (path: string, body: unknown): ApiRequest => ({
  method: 'post',
  path,
  query: [],
  body,
  headers: {},
});

/** Prints a mutation's result: the body with --json, else a check line. */
function done(ctx: Context, body: unknown, line: string): void {
  if (ctx.out.json) ctx.out.result(body);
  else {
    const b = body as { status?: string; alreadyDismissed?: boolean } | null;
    const already = b?.status === 'already_resolved' || b?.alreadyDismissed === true;
    ctx.out.write(
      `${ctx.out.style.green('✓')} ${line}${already ? ctx.out.style.dim(' (already so)') : ''}\n`,
    );
  }
}

function listCommand(deps: CliDeps): Command {
  return new Command('list')
    .alias('ls')
    .description(
      'Open items, newest first: approvals, questions, tool calls, failed or long turns, failed jobs',
    )
    .option(
      '--kind <kind>',
      `only these kinds (repeat or comma-separate): ${INBOX_KINDS.join(', ')}`,
      collect,
    )
    .option('--session <id>', 'only items of this session')
    .option('--project <id>', 'only items of this project')
    .option('--limit <n>', 'at most this many (1–200, server default 50)')
    .option('--cursor <c>', 'the next page (printed under a full page)')
    .addHelpText('after', '\nRoute: GET /api/inbox  (inbox.list)')
    .action(async (_o: unknown, self: Command) => {
      const ctx = Context.of(self, deps);
      const o = parseOptions(listOptions, self.opts());
      const query: [string, string][] = [];
      if (o.kind.length) query.push(['kind', o.kind.join(',')]);
      if (o.session) query.push(['sessionId', o.session]);
      if (o.project) query.push(['projectId', o.project]);
      if (o.limit !== undefined) query.push(['limit', String(o.limit)]);
      if (o.cursor) query.push(['cursor', o.cursor]);
      const res = await ctx
        .client()
        .call({ method: 'get', path: '/api/inbox', query, body: undefined, headers: {} });
      if (ctx.out.json) return ctx.out.result(res.body);
      ctx.out.write(renderInbox(res.body as InboxPage, ctx.out.style, ctx.out.width, Date.now()) + '\n');
    });
}

function decideCommand(deps: CliDeps): Command {
  return new Command('decide')
    .description('Decide an approval: accept (a), acceptForSession (s), decline (d) or cancel (c)')
    .argument('<item>', 'the inbox item id (request:<id>) or the request id')
    .argument('<decision>', 'accept | acceptForSession | decline | cancel (or a, s, d, c)')
    .addHelpText('after', '\nRoute: POST /api/approvals/{id}/decision  (approvals.decide)')
    .action(async (item: string, raw: string, _o: unknown, self: Command) => {
      const ctx = Context.of(self, deps);
      const decision = parseDecision(raw, DEFAULT_DECISIONS);
      if (!decision)
        throw usageError(
          `unknown decision '${raw}'`,
          `use one of ${DEFAULT_DECISIONS.join(', ')} (or a, s, d, c)`,
        );
      const id = requestIdOf(item);
      const res = await ctx
        .client()
        .call(post(`/api/approvals/${encodeURIComponent(id)}/decision`, { decision }));
      done(ctx, res.body, `${decision} request ${id}`);
    });
}

function requestIdOf(item: string): string {
  if (/^(job|turn):/.test(item))
    throw usageError(
      `${item} is not a request`,
      'decide and answer act on request:<id> items; see cmgr inbox list',
    );
  return targetId(item, 'request');
}

interface Question {
  id: string;
  question?: string;
  options?: { label: string }[] | null;
}

function answerCommand(deps: CliDeps): Command {
  return new Command('answer')
    .description('Answer a question item: --answer <question id>=<answer> per question, or at the prompts')
    .argument('<item>', 'the inbox item id (request:<id>) or the request id')
    .option(
      '--answer <id=value>',
      'the answer to one question (repeat for several); others are asked',
      collectRaw,
    )
    .addHelpText(
      'after',
      [
        '',
        'Questions not answered by a flag are asked in turn (from the terminal, or from stdin when',
        'piped): an option number or label, or your own text where the question allows it.',
        '',
        'Route: POST /api/tool-input/{id}/decision  (toolInput.decide)',
      ].join('\n'),
    )
    .action(async (item: string, _o: unknown, self: Command) => {
      const ctx = Context.of(self, deps);
      const given = ((self.opts().answer as string[] | undefined) ?? []).map((a) => {
        const kv = parseAnswerFlag(a);
        if (!kv) throw usageError(`--answer '${a}' is not <question id>=<answer>`);
        return kv;
      });
      const id = requestIdOf(item);
      const client = ctx.client();
      const got = await client.call({
        method: 'get',
        path: `/api/tool-input/${encodeURIComponent(id)}`,
        query: [],
        body: undefined,
        headers: {},
      });
      const req = (got.body as { request: { params: { questions?: Question[] } } }).request;
      const questions = req.params.questions ?? [];
      const known = new Set(questions.map((q) => q.id));
      const answers: Record<string, string[]> = {};
      for (const [q, v] of given) {
        if (!known.has(q))
          throw usageError(
            `no question '${q}' in request ${id}`,
            `its questions: ${[...known].join(', ') || 'none'}`,
          );
        (answers[q] ??= []).push(v);
      }
      const open = questions.filter((q) => !(q.id in answers));
      if (open.length) {
        const prompter =
          ctx.out.json && !given.length
            ? noPrompter
            : new LinePrompter(deps.stdin, deps.stderr, () => deps.interrupt());
        try {
          const asked = await askQuestions(
            prompter,
            { id, kind: 'userInput', params: { questions: open }, decisions: null },
            ctx.out.errStyle,
            (l) => ctx.out.note(l),
          );
          if (!asked)
            throw usageError(
              `no answer for ${open.map((q) => q.id).join(', ')}`,
              `give --answer ${open[0]!.id}=<answer> for each question`,
            );
          Object.assign(answers, asked);
        } finally {
          prompter.close();
        }
      }
      const schema = ctx.operation('toolInput.decide')?.body?.schema;
      const res = await client.call(
        post(`/api/tool-input/${encodeURIComponent(id)}/decision`, toolInputBody(answers, schema)),
      );
      done(ctx, res.body, `answered request ${id}`);
    });
}

function respondCommand(deps: CliDeps): Command {
  return new Command('respond')
    .description('Answer a dynamic tool call nobody serves with text (--failed reports a failure)')
    .argument('<item>', 'the inbox item id (request:<id>) or the request id')
    .argument('[text]', 'what the tool returns to the model (default: read from stdin)')
    .option('--failed', 'the call failed: the text is the error the model sees')
    .addHelpText('after', '\nRoute: POST /api/tool-calls/{id}/response  (toolCalls.respond)')
    .action(async (item: string, text: string | undefined, _o: unknown, self: Command) => {
      const ctx = Context.of(self, deps);
      const id = requestIdOf(item);
      const given = text ?? ctx.sources.readStdin().replace(/\n$/, '');
      const reply = toolReply(self.opts().failed ? `!${given}` : given);
      if (!reply) throw usageError('no text to respond with', 'give it as an argument or on stdin');
      const res = await ctx.client().call(post(`/api/tool-calls/${encodeURIComponent(id)}/response`, reply));
      done(ctx, res.body, `responded to request ${id}${reply.success ? '' : ' (as a failure)'}`);
    });
}

function retryCommand(deps: CliDeps): Command {
  return new Command('retry')
    .description('Queue a failed job again (its item leaves the inbox)')
    .argument('<item>', 'the inbox item id (job:<id>) or the job id')
    .addHelpText('after', '\nRoute: POST /api/jobs/{id}/retry  (jobs.retry)')
    .action(async (item: string, _o: unknown, self: Command) => {
      const ctx = Context.of(self, deps);
      if (/^(request|turn):/.test(item))
        throw usageError(
          `${item} is not a job`,
          'retry acts on job:<id> items; dismiss a failed turn instead',
        );
      const id = targetId(item, 'job');
      const res = await ctx.client().call(post(`/api/jobs/${encodeURIComponent(id)}/retry`, undefined));
      done(ctx, res.body, `retried job ${id}`);
    });
}

function dismissCommand(deps: CliDeps): Command {
  return new Command('dismiss')
    .description('Dismiss a failed turn, a long turn or a failed job (requests leave when answered)')
    .argument('<item>', 'the inbox item id (turn:<session>:<turn> or job:<id>)')
    .addHelpText('after', '\nRoute: POST /api/inbox/{id}/dismiss  (inbox.dismiss)')
    .action(async (item: string, _o: unknown, self: Command) => {
      const ctx = Context.of(self, deps);
      const res = await ctx.client().call(post(`/api/inbox/${encodeURIComponent(item)}/dismiss`, undefined));
      done(ctx, res.body, `dismissed ${item}`);
    });
}

function watchCommand(deps: CliDeps): Command {
  return new Command('watch')
    .description('Follow items as they arrive and leave (inbox.added / inbox.removed), with resume')
    .option('--kind <kind>', 'only these kinds (repeat or comma-separate)', collect)
    .option('--session <id>', 'only items of this session (repeat or comma-separate)', collect)
    .option('--after <seq>', 'start after this seq (0: the whole history); default: live from now')
    .option('--limit <n>', 'stop after this many events')
    .option('--no-reconnect', 'exit (code 6) instead of reconnecting when the stream drops')
    .addHelpText(
      'after',
      [
        '',
        'One line per event (`+` arrived, `-` left and why; NDJSON envelopes with --json). On exit it',
        'prints the last seq to stderr; pass it to --after to resume without a gap or a duplicate.',
        '',
        'Route: GET /api/stream?types=inbox.  (stream.events)',
      ].join('\n'),
    )
    .action(async (_o: unknown, self: Command) => {
      const ctx = Context.of(self, deps);
      const o = parseOptions(watchOptions, self.opts());
      const abort = new AbortController();
      const off = deps.onInterrupt(() => abort.abort());
      const stream = new EventStream(ctx.client(), {
        threads: o.session,
        types: ['inbox.'],
        ...(o.after !== undefined ? { after: o.after } : {}),
        reconnect: o.reconnect,
        signal: abort.signal,
        onNotice: (m) => ctx.out.note(ctx.out.errStyle.dim(`… ${m}`)),
        // Said once the subscription holds, so a script can act knowing nothing will be missed.
        onReady: () => ctx.out.note(ctx.out.errStyle.dim('watching the inbox (Ctrl-C stops)')),
      });
      let count = 0;
      try {
        for await (const e of stream.events()) {
          const kind = e.type === 'inbox.added' ? (e.data.item as InboxItem | undefined)?.kind : e.data.kind;
          if (o.kind.length && !o.kind.includes(kind as (typeof INBOX_KINDS)[number])) continue;
          ctx.out.write(
            ctx.out.json ? JSON.stringify(e) + '\n' : describeInboxEvent(e, ctx.out.style).join('\n') + '\n',
          );
          if (o.limit !== undefined && ++count >= o.limit) break;
        }
      } finally {
        off();
        if (stream.cursor !== undefined) {
          const filters = [...o.session.map((t) => `--session ${t}`), ...o.kind.map((k) => `--kind ${k}`)];
          ctx.out.note(
            ctx.out.errStyle.dim(
              `last seq ${stream.cursor}; resume with: cmgr inbox watch --after ${stream.cursor}${filters.length ? ' ' + filters.join(' ') : ''}`,
            ),
          );
        }
      }
    });
}

export function inboxCommand(deps: CliDeps): Command {
  return new Command('inbox')
    .description(
      'Everything waiting for you across sessions: list, decide, answer, respond, retry, dismiss, watch',
    )
    .addCommand(listCommand(deps), { isDefault: true })
    .addCommand(decideCommand(deps))
    .addCommand(answerCommand(deps))
    .addCommand(respondCommand(deps))
    .addCommand(retryCommand(deps))
    .addCommand(dismissCommand(deps))
    .addCommand(watchCommand(deps))
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  cmgr inbox                                   # the open items',
        '  cmgr inbox ls --kind approval,question',
        '  cmgr inbox decide request:0193… accept',
        '  cmgr inbox answer request:0193… --answer color=Blue',
        "  cmgr inbox respond request:0193… 'ticket T-42 is open'",
        '  cmgr inbox dismiss turn:<session>:<turn>',
        '  cmgr inbox watch --json | jq .data',
      ].join('\n'),
    );
}
