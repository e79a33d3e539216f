import type { Style } from '../output/style';
import type { Prompter } from './prompter';
import { changesOf } from './turn-view';

/**
 * The inline prompts of `cmgr chat`: an approval decision, answers to the runtime's questions, a reply
 * to a dynamic tool call. Pure over a Prompter, so they are unit-tested with scripted input.
 */
export interface PendingRequest {
  id: string;
  kind: string;
  method?: string;
  params: Record<string, unknown>;
  /** Decisions the server accepts for this approval (from `request.created`), when it says. */
  decisions: string[] | null;
}

export const DEFAULT_DECISIONS = ['accept', 'acceptForSession', 'decline', 'cancel'];
const KEYS: Record<string, { key: string; label: string }> = {
  accept: { key: 'a', label: 'accept' },
  acceptForSession: { key: 's', label: 'accept for session' },
  decline: { key: 'd', label: 'decline' },
  cancel: { key: 'c', label: 'cancel (ends the turn)' },
};

/** `a`, `accept`, `Accept` → `accept`; `s` → `acceptForSession`; anything else → null. */
export function parseDecision(input: string, offered: string[]): string | null {
  const t = input.trim().toLowerCase();
  if (!t) return null;
  for (const d of offered) {
    const k = KEYS[d];
    if (t === d.toLowerCase() || (k && (t === k.key || t === k.label.split(' (')[0]))) return d;
  }
  return null;
}

export function offeredDecisions(req: PendingRequest): string[] {
  const known = (req.decisions ?? DEFAULT_DECISIONS).filter((d) => typeof d === 'string' && KEYS[d]);
  return known.length ? known : DEFAULT_DECISIONS;
}

/** What the approval is about, as lines for the terminal. */
export function describeApproval(
  req: PendingRequest,
  item: Record<string, unknown> | undefined,
  style: Style,
): string[] {
  const p = req.params;
  const lines: string[] = [];
  if (req.kind === 'commandApproval') {
    lines.push(style.bold('approval needed: run a command'));
    lines.push(style.cyan(`  $ ${String(p.command ?? item?.command ?? '?')}`));
    if (p.cwd) lines.push(style.dim(`  in ${String(p.cwd)}`));
  } else {
    lines.push(style.bold('approval needed: apply file changes'));
    const changes = item ? changesOf(item) : [];
    for (const c of changes) lines.push(style.cyan(`  ${c}`));
    const diffs = ((item?.changes ?? []) as { diff?: string }[]).map((c) => c.diff ?? '').join('\n');
    const diffLines = diffs.split('\n').filter(Boolean);
    for (const l of diffLines.slice(0, 40))
      lines.push(
        '    ' + (l.startsWith('+') ? style.green(l) : l.startsWith('-') ? style.red(l) : style.dim(l)),
      );
    if (diffLines.length > 40) lines.push(style.dim(`    … ${diffLines.length - 40} more lines`));
  }
  if (p.reason) lines.push(style.dim(`  reason: ${String(p.reason)}`));
  return lines;
}

export async function askDecision(
  prompter: Prompter,
  req: PendingRequest,
  style: Style,
  signal?: AbortSignal,
): Promise<string | null> {
  const offered = offeredDecisions(req);
  const menu = offered.map((d) => `[${KEYS[d]!.key}] ${KEYS[d]!.label}`).join('  ');
  for (;;) {
    const line = await prompter.ask(`${menu}\n${style.bold('decision>')} `, signal ? { signal } : {});
    if (line === null) return null;
    const d = parseDecision(line, offered);
    if (d) return d;
  }
}

interface Question {
  id: string;
  header?: string;
  question?: string;
  isOther?: boolean;
  isSecret?: boolean;
  options?: { label: string; description?: string }[] | null;
}

/** Resolves an answer line: an option number or label, or free text where the question allows it. */
export function parseAnswer(input: string, q: Question): string | null {
  const t = input.trim();
  if (!t) return null;
  const options = q.options ?? [];
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    if (n >= 1 && n <= options.length) return options[n - 1]!.label;
  }
  const byLabel = options.find((o) => o.label.toLowerCase() === t.toLowerCase());
  if (byLabel) return byLabel.label;
  return q.isOther || options.length === 0 ? t : null;
}

/** Asks each question in turn; null when input ends (or the request is withdrawn) before all are answered. */
export async function askQuestions(
  prompter: Prompter,
  req: PendingRequest,
  style: Style,
  write: (line: string) => void,
  signal?: AbortSignal,
): Promise<Record<string, string[]> | null> {
  const questions = (req.params.questions ?? []) as Question[];
  const answers: Record<string, string[]> = {};
  for (const q of questions) {
    write(style.bold(`question${q.header ? ` (${q.header})` : ''}: ${q.question ?? q.id}`));
    (q.options ?? []).forEach((o, i) =>
      write(`  ${i + 1}) ${o.label}${o.description ? style.dim(` — ${o.description}`) : ''}`),
    );
    const hint = q.options?.length
      ? q.isOther
        ? 'number, label or your own answer'
        : 'number or label'
      : 'answer';
    for (;;) {
      const line = await prompter.ask(`${style.bold(`${hint}>`)} `, {
        ...(signal ? { signal } : {}),
        secret: q.isSecret === true,
      });
      if (line === null) return null;
      const a = parseAnswer(line, q);
      if (a !== null) {
        answers[q.id] = [a];
        break;
      }
    }
  }
  return answers;
}

/**
 * The body of `POST /api/tool-input/:id/decision`, shaped by the route's schema: either
 * `{answers: {<id>: {answers: [...]}}}` (the runtime's own shape) or `{answers: {<id>: [...]}}`.
 */
export function toolInputBody(
  answers: Record<string, string[]>,
  bodySchema: unknown,
): { answers: Record<string, unknown> } {
  const perQuestion = (
    bodySchema as { properties?: { answers?: { additionalProperties?: unknown } } } | undefined
  )?.properties?.answers?.additionalProperties as
    { type?: unknown; anyOf?: unknown[]; properties?: Record<string, unknown> } | undefined;
  const flat =
    perQuestion !== undefined &&
    !perQuestion.properties?.answers &&
    (perQuestion.type === 'array' ||
      perQuestion.type === 'string' ||
      (perQuestion.anyOf ?? []).some((a) =>
        ['array', 'string'].includes(String((a as { type?: unknown }).type)),
      ));
  return {
    answers: Object.fromEntries(Object.entries(answers).map(([id, a]) => [id, flat ? a : { answers: a }])),
  };
}

/** A reply typed for a dynamic tool call: empty → null (leave it); a leading `!` reports failure. */
export function toolReply(
  line: string | null,
): { contentItems: { type: 'inputText'; text: string }[]; success: boolean } | null {
  if (line === null || !line.trim()) return null;
  const failed = line.trimStart().startsWith('!');
  const text = failed ? line.trimStart().slice(1).trim() : line.trim();
  return { contentItems: [{ type: 'inputText', text }], success: !failed };
}
