import fs from 'node:fs';
import tty from 'node:tty';
import { Command, Option } from 'commander';
import { z } from 'zod';
import { commandSpecOf, coerceFlag } from '../api/mapping';
import { Conversation, type ApprovalPolicy, type TurnOutcome } from '../chat/conversation';
import { LinePrompter, noPrompter, type Prompter } from '../chat/prompter';
import { Context, type CliDeps } from '../context';
import { CliError, coerceError, ExitCode, usageError } from '../errors';
import { optionsOf } from './api';
import { parseOptions } from './options';

/**
 * `cmgr chat <session|new> [text]`: send a message and print the reply as it streams, answering
 * approvals and questions inline. Without text: reads it from stdin when piped, else opens a prompt
 * for a conversation (`/exit` or Ctrl-D ends it).
 */
const POLICIES = ['prompt', 'wait', 'accept', 'acceptForSession', 'decline', 'cancel'] as const;

const options = z.object({
  reasoning: z.boolean().default(true),
  onApproval: z.enum(POLICIES).default('prompt'),
});

export function chatCommand(deps: CliDeps): Command {
  const send = deps.operations.find((o) => o.id === 'sessions.sendMessage');
  const overrideFlags = send
    ? commandSpecOf(send).flags.filter((f) => f.where === 'body' && f.field !== 'text')
    : [];
  const cmd = new Command('chat')
    .description('Send a message and stream the reply, answering approvals and questions inline')
    .argument('<session>', 'session id, or `new` to start a session')
    .argument('[text...]', 'the message (default: stdin when piped, else an interactive prompt)')
    .option('--no-reasoning', 'hide reasoning summaries')
    .addOption(
      new Option(
        '--on-approval <policy>',
        'prompt (default; waits when no input), wait, or decide every approval of the turn',
      ).choices(POLICIES),
    );
  for (const f of overrideFlags) for (const o of optionsOf(f)) cmd.addOption(o);
  cmd.addHelpText(
    'after',
    [
      '',
      "The reply goes to stdout; tool activity, reasoning and prompts to stderr (--json: the turn's",
      'events as NDJSON). Ctrl-C interrupts the turn; a second Ctrl-C stops waiting.',
      '',
      'Examples:',
      '  cmgr chat new "summarise README.md"',
      '  cmgr chat $SESSION "run the tests" --on-approval accept',
      '  git diff | cmgr chat $SESSION',
      '  cmgr chat $SESSION            # a conversation',
    ].join('\n'),
  );
  cmd.action(async (sessionArg: string, words: string[], _o: unknown, self: Command) => {
    const ctx = Context.of(self, deps);
    const raw = self.opts();
    const o = parseOptions(options, raw);
    const overrides: Record<string, unknown> = {};
    for (const f of overrideFlags)
      if (raw[f.attribute] !== undefined) overrides[f.field] = coerceFlag(f, raw[f.attribute], ctx.sources);

    let text: string | null = words.length ? words.join(' ') : null;
    let input: (NodeJS.ReadableStream & { isTTY?: boolean }) | null = deps.stdin;
    if (text === null && !deps.stdin.isTTY) {
      text = ctx.sources.readStdin().trim();
      if (!text) throw usageError('no message: the text argument is missing and stdin is empty');
      input = openTty();
    }
    const session = sessionArg === 'new' ? await createSession(ctx) : sessionArg;
    // Ctrl-C typed into a prompt reaches readline, not the process: treat it like a signal.
    const prompter: Prompter = input
      ? new LinePrompter(input, deps.stderr, () => deps.interrupt())
      : noPrompter;
    const chat = new Conversation(
      ctx,
      {
        session,
        overrides,
        reasoning: o.reasoning,
        onApproval: o.onApproval as ApprovalPolicy,
        interactive: input !== null,
      },
      prompter,
    );
    try {
      if (text !== null) return report(ctx, await chat.send(text), session);
      await repl(ctx, chat, prompter, session);
    } finally {
      prompter.close();
    }
  });
  return cmd;
}

async function createSession(ctx: Context): Promise<string> {
  const res = await ctx
    .client()
    .call({ method: 'post', path: '/api/sessions', query: [], body: {}, headers: {} });
  const id = (res.body as { session?: { id?: string } }).session?.id;
  if (!id) throw new CliError('unexpected', 'the server returned no session id');
  ctx.out.note(ctx.out.errStyle.dim(`session ${id}`));
  return id;
}

/** Where answers come from when the message itself came through stdin. */
function openTty(): (NodeJS.ReadableStream & { isTTY?: boolean }) | null {
  try {
    return new tty.ReadStream(fs.openSync('/dev/tty', 'r'));
  } catch {
    return null;
  }
}

function report(ctx: Context, t: TurnOutcome, session: string): void {
  if (t.status === 'completed') return;
  const resume = t.lastSeq !== undefined ? `cmgr stream --thread ${session} --after ${t.lastSeq}` : undefined;
  if (t.status === 'detached') {
    ctx.out.note(
      ctx.out.errStyle.dim(`stopped waiting; the turn goes on${resume ? `: follow it with ${resume}` : ''}`),
    );
    return;
  }
  throw new CliError(`turn_${t.status}`, `turn ${t.turnId} ${t.status}${t.error ? `: ${t.error}` : ''}`, {
    exitCode: ExitCode.unexpected,
    details: { sessionId: session, turnId: t.turnId, status: t.status },
  });
}

async function repl(ctx: Context, chat: Conversation, prompter: Prompter, session: string): Promise<void> {
  const s = ctx.out.errStyle;
  ctx.out.note(s.dim(`chatting in ${session}; /exit or Ctrl-D to leave`));
  for (;;) {
    const stop = new AbortController();
    const off = ctx.deps.onInterrupt(() => stop.abort());
    const line = await prompter.ask(`${s.bold('you>')} `, { signal: stop.signal });
    off();
    if (line === null || ['/exit', '/quit'].includes(line.trim())) return;
    if (!line.trim()) continue;
    try {
      report(ctx, await chat.send(line), session);
    } catch (e) {
      ctx.out.error(coerceError(e));
    }
  }
}
