import type { EventEnvelope } from '../api/event-stream';
import type { OutStream } from '../output/output';
import type { Style } from '../output/style';

/**
 * Renders one turn's events in a terminal as they arrive: the assistant's reply goes to stdout (so
 * `cmgr chat $S "…" > reply.txt` captures just the reply); reasoning, commands and their output, file
 * changes, plans and errors go to stderr, dimmed.
 */
export interface TurnViewOptions {
  stdout: OutStream;
  stderr: OutStream;
  style: Style;
  reasoning: boolean;
}

type Item = Record<string, unknown> & { id?: string; type?: string };

export class TurnView {
  readonly #o: TurnViewOptions;
  /** Which stream has an unterminated line, so switching streams starts a fresh line. */
  #open: 'out' | 'err' | null = null;
  #streamed = new Set<string>();
  /** Items seen so far (file changes are shown again when their approval is asked). */
  readonly items = new Map<string, Item>();

  constructor(o: TurnViewOptions) {
    this.#o = o;
  }

  /** Writes to stderr on a line of its own. */
  line(text: string): void {
    this.#breakLine();
    this.#o.stderr.write(text + '\n');
  }

  #breakLine(): void {
    if (this.#open === 'out') this.#o.stdout.write('\n');
    if (this.#open === 'err') this.#o.stderr.write('\n');
    this.#open = null;
  }

  #stream(where: 'out' | 'err', text: string): void {
    if (!text) return;
    if (this.#open && this.#open !== where) this.#breakLine();
    (where === 'out' ? this.#o.stdout : this.#o.stderr).write(text);
    this.#open = text.endsWith('\n') ? null : where;
  }

  /** Ends any open line (call before prompting and at the end of the turn). */
  finish(): void {
    this.#breakLine();
  }

  handle(e: EventEnvelope): void {
    const s = this.#o.style;
    const params = ((e.data ?? {}).params ?? {}) as Record<string, unknown>;
    const item = params.item as Item | undefined;
    switch (e.type) {
      case 'runtime.item.agentMessage.delta':
        if (e.itemId) this.#streamed.add(e.itemId);
        if (typeof params.itemId === 'string') this.#streamed.add(params.itemId);
        this.#stream('out', String(params.delta ?? ''));
        return;
      case 'runtime.item.reasoning.summaryTextDelta':
      case 'runtime.item.reasoning.textDelta':
        if (this.#o.reasoning) this.#stream('err', s.dim(String(params.delta ?? '')));
        return;
      case 'runtime.item.commandExecution.outputDelta':
        this.#stream('err', s.dim(String(params.delta ?? '')));
        return;
      case 'runtime.item.started':
        if (item) this.#started(item);
        return;
      case 'runtime.item.completed':
        if (item) this.#completed(item);
        return;
      case 'runtime.turn.plan.updated': {
        const plan = (params.plan ?? []) as { step?: string; status?: string }[];
        const mark = (st?: string) => (st === 'completed' ? '[x]' : st === 'inProgress' ? '[>]' : '[ ]');
        this.line(s.dim(['plan:', ...plan.map((p) => `  ${mark(p.status)} ${p.step ?? ''}`)].join('\n')));
        return;
      }
      case 'runtime.error': {
        const err = (params.error ?? {}) as { message?: string };
        const retry = params.willRetry ? ' (retrying)' : '';
        this.line(s.red(`error: ${err.message ?? 'runtime error'}${retry}`));
        return;
      }
      default:
        return;
    }
  }

  #started(item: Item): void {
    if (item.id) this.items.set(item.id, item);
    const s = this.#o.style;
    switch (item.type) {
      case 'commandExecution':
        this.line(s.cyan(`$ ${String(item.command ?? '')}`));
        return;
      case 'fileChange':
        this.line(s.cyan(`~ ${changesOf(item).join(', ') || 'file changes'}`));
        return;
      case 'dynamicToolCall':
      case 'mcpToolCall':
        this.line(s.cyan(`* tool ${String(item.tool ?? '')}(${JSON.stringify(item.arguments ?? {})})`));
        return;
      case 'webSearch':
        this.line(s.cyan(`* web search ${JSON.stringify(item.query ?? '')}`));
        return;
      case 'reasoning':
        if (this.#o.reasoning) this.#stream('err', s.dim('thinking: '));
        return;
      default:
        return;
    }
  }

  #completed(item: Item): void {
    if (item.id) this.items.set(item.id, item);
    const s = this.#o.style;
    switch (item.type) {
      case 'agentMessage':
        // Replies that arrive whole (no deltas) are printed on completion.
        if (item.id && !this.#streamed.has(item.id) && item.text) this.#stream('out', String(item.text));
        this.#breakLine();
        return;
      case 'reasoning':
        if (this.#o.reasoning) this.#breakLine();
        return;
      case 'commandExecution': {
        const st = String(item.status ?? '');
        const exit =
          item.exitCode === null || item.exitCode === undefined ? '' : ` (exit ${String(item.exitCode)})`;
        this.line(
          st === 'completed' && item.exitCode === 0 ? s.dim(`  done${exit}`) : s.yellow(`  ${st}${exit}`),
        );
        return;
      }
      case 'fileChange':
      case 'dynamicToolCall':
      case 'mcpToolCall':
        this.line(
          item.status === 'completed'
            ? s.dim(`  ${String(item.status)}`)
            : s.yellow(`  ${String(item.status ?? '')}`),
        );
        return;
      default:
        return;
    }
  }
}

export function changesOf(item: Item): string[] {
  const changes = (item.changes ?? []) as { path?: string; kind?: { type?: string } | string }[];
  return changes.map((c) => {
    const kind = typeof c.kind === 'string' ? c.kind : (c.kind?.type ?? '');
    const mark = kind === 'add' ? '+' : kind === 'delete' ? '-' : '~';
    return `${mark}${c.path ?? '?'}`;
  });
}
