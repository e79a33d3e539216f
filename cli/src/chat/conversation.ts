import { EventStream, type EventEnvelope } from '../api/event-stream';
import { commandSpecOf, requestOf, type ApiRequest } from '../api/mapping';
import type { Context } from '../context';
import { CliError, coerceError } from '../errors';
import type { Prompter } from './prompter';
import {
  askDecision,
  askQuestions,
  describeApproval,
  offeredDecisions,
  toolInputBody,
  toolReply,
  type PendingRequest,
} from './questions';
import { AsyncQueue } from './queue';
import { TurnView } from './turn-view';

export type ApprovalPolicy = 'prompt' | 'wait' | 'accept' | 'acceptForSession' | 'decline' | 'cancel';

export interface ChatOptions {
  session: string;
  /** Extra fields of the send-message body (per-turn overrides such as model). */
  overrides: Record<string, unknown>;
  reasoning: boolean;
  onApproval: ApprovalPolicy;
  /** Answers can be read (a terminal or piped input). */
  interactive: boolean;
}

export interface TurnOutcome {
  turnId: string;
  status: string;
  error?: string;
  /** Last seq seen, to resume with `cmgr stream --after`. */
  lastSeq: number | undefined;
}

const APPROVALS = new Set(['commandApproval', 'fileChangeApproval']);
/** The answer routes (docs/api.md), used when the OpenAPI document at hand predates them. */
const KNOWN_PATHS: Record<string, string> = {
  'approvals.decide': '/api/approvals/{id}/decision',
  'toolInput.decide': '/api/tool-input/{id}/decision',
  'toolCalls.respond': '/api/tool-calls/{id}/response',
  'sessions.sendMessage': '/api/sessions/{id}/messages',
};

/**
 * One chat turn: subscribe to the session's events first (so nothing is missed), send the message,
 * render the turn as it streams, answer approvals and questions inline, stop at the turn's end.
 * Ctrl-C interrupts the turn (when the server has the route); a second Ctrl-C detaches.
 */
export class Conversation {
  readonly #ctx: Context;
  readonly #opts: ChatOptions;
  readonly #prompter: Prompter;

  constructor(ctx: Context, opts: ChatOptions, prompter: Prompter) {
    this.#ctx = ctx;
    this.#opts = opts;
    this.#prompter = prompter;
  }

  async send(text: string): Promise<TurnOutcome> {
    const ctx = this.#ctx;
    const out = ctx.out;
    const abort = new AbortController();
    const view = new TurnView({
      stdout: out.stdout,
      stderr: out.stderr,
      style: out.errStyle,
      reasoning: this.#opts.reasoning,
    });
    const note = (m: string) => (out.json ? out.note(m) : view.line(m));
    // The request being asked about, if any (read by the stream reader, set by the turn loop).
    const asking: { current: { requestId: string; ctl: AbortController } | null } = { current: null };
    let turnId: string | undefined;
    let interrupts = 0;
    let detached = false;

    const stream = new EventStream(ctx.client(), {
      threads: [this.#opts.session],
      reconnect: true,
      signal: abort.signal,
      onNotice: (m) => note(out.errStyle.dim(`… ${m}`)),
      onReady: () => markReady(),
    });
    let markReady!: () => void;
    const ready = new Promise<void>((r) => (markReady = r));
    const queue = new AsyncQueue<EventEnvelope>();
    // A stream refused before it was ready (a bad token, a bad cursor): never send the message then.
    let streamError: unknown = undefined;
    const reader = (async () => {
      try {
        for await (const ev of stream.events()) {
          // A request answered elsewhere withdraws the question being asked here.
          const p = asking.current;
          if (
            p &&
            ev.type !== 'request.created' &&
            ev.type.startsWith('request.') &&
            ev.data.requestId === p.requestId
          )
            p.ctl.abort();
          queue.push(ev);
        }
        queue.end();
      } catch (e) {
        streamError = e;
        queue.fail(e);
        markReady();
      }
    })();

    const off = ctx.deps.onInterrupt(() => {
      interrupts++;
      asking.current?.ctl.abort();
      if (interrupts === 1 && turnId) void this.#interrupt(turnId, note);
      else {
        detached = true;
        abort.abort();
      }
    });
    try {
      await ready;
      if (streamError !== undefined) throw coerceError(streamError, { url: ctx.client().baseUrl });
      if (abort.signal.aborted) throw new CliError('interrupted', 'stopped before sending', { exitCode: 1 });
      const sent = await ctx.client().call(this.#sendRequest(text));
      turnId = (sent.body as { turn?: { id?: string } }).turn?.id;
      if (!turnId) throw new CliError('unexpected', 'the server returned no turn id');
      const decided = new Set<string>();
      for await (const ev of queue) {
        if (ev.turnId && ev.turnId !== turnId) continue;
        if (!ev.turnId && !ev.type.startsWith('request.')) continue;
        if (out.json) out.write(JSON.stringify(ev) + '\n');
        else view.handle(ev);
        if (ev.type === 'request.created') {
          const ctl = new AbortController();
          asking.current = { requestId: String(ev.data.requestId), ctl };
          view.finish();
          try {
            if (await this.#answer(pendingOf(ev), view, ctl.signal)) decided.add(String(ev.data.requestId));
          } finally {
            asking.current = null;
          }
        } else if (ev.type === 'request.resolved' || ev.type === 'request.expired') {
          const id = String(ev.data.requestId);
          if (!decided.has(id)) note(out.errStyle.dim(resolutionNote(ev)));
        }
        const end = turnEnd(ev, turnId);
        if (end) {
          view.finish();
          return { turnId, ...end, lastSeq: stream.cursor };
        }
      }
      view.finish();
      if (detached) return { turnId, status: 'detached', lastSeq: stream.cursor };
      throw new CliError('stream_closed', 'the event stream ended before the turn did', { exitCode: 6 });
    } finally {
      off();
      abort.abort();
      await reader;
    }
  }

  #sendRequest(text: string): ApiRequest {
    return {
      method: 'post',
      path: (
        this.#ctx.operation('sessions.sendMessage')?.path ?? KNOWN_PATHS['sessions.sendMessage']!
      ).replace(/\{[^}]+\}/, encodeURIComponent(this.#opts.session)),
      query: [],
      body: { ...this.#opts.overrides, text },
      headers: {},
    };
  }

  async #interrupt(turnId: string, note: (m: string) => void): Promise<void> {
    const s = this.#ctx.out.errStyle;
    const op = this.#ctx.operation('sessions.interrupt');
    if (!op) {
      note(s.yellow('this server has no interrupt route; Ctrl-C again to stop waiting (the turn goes on)'));
      return;
    }
    note(s.yellow('interrupting the turn… (Ctrl-C again to stop waiting)'));
    try {
      const spec = commandSpecOf(op);
      const turnFlag = spec.flags.find((f) => f.where === 'body' && f.field === 'turnId');
      const req = requestOf(
        spec,
        [this.#opts.session],
        turnFlag ? { [turnFlag.attribute]: turnId } : {},
        this.#ctx.sources,
      );
      await this.#ctx.client().call(req);
    } catch (e) {
      note(s.red(`interrupt failed: ${coerceError(e).message}`));
    }
  }

  /** Answers one request inline; returns whether this client decided it. */
  async #answer(req: PendingRequest, view: TurnView, signal: AbortSignal): Promise<boolean> {
    const s = this.#ctx.out.errStyle;
    const write = (l: string) => view.line(l);
    const canAsk = this.#opts.interactive;
    if (APPROVALS.has(req.kind)) {
      const item = typeof req.params.itemId === 'string' ? view.items.get(req.params.itemId) : undefined;
      write(describeApproval(req, item, s).join('\n'));
      const policy = this.#opts.onApproval;
      let decision: string | null = null;
      if (policy !== 'prompt' && policy !== 'wait') {
        decision = offeredDecisions(req).includes(policy) ? policy : null;
        if (!decision) write(s.yellow(`--on-approval ${policy} is not offered for this request`));
      } else if (policy === 'prompt' && canAsk) decision = await askDecision(this.#prompter, req, s, signal);
      if (decision === null) {
        if (!signal.aborted)
          write(
            s.dim(
              `waiting for a decision: cmgr approvals decide ${req.id} --decision <${offeredDecisions(req).join('|')}>`,
            ),
          );
        return false;
      }
      return this.#post('approvals.decide', req.id, { decision }, `${decision}`, write);
    }
    if (req.kind === 'userInput') {
      const answers = canAsk ? await askQuestions(this.#prompter, req, s, write, signal) : null;
      if (!answers) {
        if (!signal.aborted)
          write(
            s.dim(`waiting for answers: cmgr tool-input decide ${req.id} --answers '{"<question id>": ...}'`),
          );
        return false;
      }
      const schema = this.#ctx.operation('toolInput.decide')?.body?.schema;
      return this.#post('toolInput.decide', req.id, toolInputBody(answers, schema), 'answered', write);
    }
    if (req.kind === 'toolCall') {
      write(
        s.bold(`tool call: ${String(req.params.tool ?? '?')}(${JSON.stringify(req.params.arguments ?? {})})`),
      );
      const reply = canAsk
        ? toolReply(
            await this.#prompter.ask(
              `${s.bold('reply>')} ${s.dim('(text for the model; !text reports failure; empty: leave it) ')}`,
              { signal },
            ),
          )
        : null;
      if (!reply) {
        if (!signal.aborted)
          write(
            s.dim(
              `waiting for a response: cmgr tool-calls respond ${req.id} --content-items '[{"type":"inputText","text":"…"}]'`,
            ),
          );
        return false;
      }
      return this.#post(
        'toolCalls.respond',
        req.id,
        reply,
        reply.success ? 'replied' : 'reported failure',
        write,
      );
    }
    write(s.dim(`request ${req.id} (${req.kind}) waits for another client`));
    return false;
  }

  /** Posts an answer to the route `opId` (its path from the OpenAPI document, else the known one). */
  async #post(
    opId: string,
    id: string,
    body: unknown,
    done: string,
    write: (l: string) => void,
  ): Promise<boolean> {
    const s = this.#ctx.out.errStyle;
    const path = (this.#ctx.operation(opId)?.path ?? KNOWN_PATHS[opId]!).replace(
      /\{[^}]+\}/,
      encodeURIComponent(id),
    );
    try {
      const res = await this.#ctx.client().call({ method: 'post', path, query: [], body, headers: {} });
      const already = (res.body as { status?: string } | null)?.status === 'already_resolved';
      write(s.green(`✓ ${done}${already ? ' (already decided so)' : ''}`));
      return true;
    } catch (e) {
      const err = coerceError(e);
      write(s.yellow(`could not answer: ${err.message}${err.status ? ` (HTTP ${err.status})` : ''}`));
      return false;
    }
  }
}

function pendingOf(ev: EventEnvelope): PendingRequest {
  const d = ev.data;
  return {
    id: String(d.requestId),
    kind: String(d.kind ?? ''),
    ...(typeof d.method === 'string' ? { method: d.method } : {}),
    params: (d.params ?? {}) as Record<string, unknown>,
    decisions: Array.isArray(d.decisions) ? (d.decisions as string[]) : null,
  };
}

function resolutionNote(ev: EventEnvelope): string {
  const d = ev.data;
  if (ev.type === 'request.expired')
    return `request ${String(d.requestId)} expired${d.reason ? ` (${String(d.reason)})` : ''}`;
  const by = d.resolvedBy as { actor?: string; source?: string } | undefined;
  const who = by?.actor ? ` by ${by.actor}${by.source ? ` (${by.source})` : ''}` : '';
  return `request ${String(d.requestId)} resolved${d.decision ? `: ${String(d.decision)}` : ''}${who}`;
}

/** The turn's end: `turn/completed` from the runtime, or the manager's `turn.interrupted` after a crash. */
export function turnEnd(ev: EventEnvelope, turnId: string): { status: string; error?: string } | null {
  if (ev.type === 'runtime.turn.completed') {
    const turn = (
      (ev.data.params ?? {}) as {
        turn?: { id?: string; status?: string; error?: { message?: string } | null };
      }
    ).turn;
    if ((turn?.id ?? ev.turnId) !== turnId) return null;
    return {
      status: turn?.status ?? 'completed',
      ...(turn?.error?.message ? { error: turn.error.message } : {}),
    };
  }
  if (ev.type === 'turn.interrupted' && ev.turnId === turnId)
    return { status: 'interrupted', error: `cut off (${String(ev.data.reason ?? 'runtime restart')})` };
  return null;
}
