import { z } from 'zod';
import { toSupplemental, type SupplementalRow } from '@codex-manager/core';

export { supplementalSchema, toSupplemental, type SupplementalRow } from '@codex-manager/core';

/** A turn as `thread/turns/list` returns it (items in order, `startedAt` in seconds). */
export interface RuntimeTurn {
  id: string;
  /** Set on the inner turn of a review: the id of the review turn it belongs to. */
  rootTurnId?: string | null;
  status?: string;
  startedAt?: number | null;
  items?: { id?: string; type?: string }[];
}

export const transcriptEntrySchema = z.object({
  turnId: z.string().nullable(),
  source: z.enum(['runtime', 'supplemental']).describe('runtime: a thread item; supplemental: a stored row'),
  item: z.unknown(),
});
export type TranscriptEntry = z.infer<typeof transcriptEntrySchema>;

/**
 * A review runs as two runtime turns: an inner one (the review prompt, reasoning) whose `rootTurnId`
 * is the review turn's id, then the review turn itself. The read model knows only the review turn,
 * so the transcript merges each root's turns into one, in order of first appearance.
 */
export function groupByRoot(turns: RuntimeTurn[]): RuntimeTurn[] {
  const out = new Map<string, RuntimeTurn>();
  for (const t of turns) {
    const key = t.rootTurnId ?? t.id;
    const g = out.get(key);
    if (!g) out.set(key, { ...t, id: key, items: [...(t.items ?? [])] });
    else g.items = [...(g.items ?? []), ...(t.items ?? [])];
  }
  return [...out.values()];
}

/**
 * One ordered transcript: the runtime's turns and items in their order, with supplemental rows
 * placed by turn and item. A row naming a turn and an item follows that item; a row naming only
 * the turn (or an item the turn no longer has) closes the turn; a row naming no known turn sits
 * between the turns by time (before the first turn that started after it was created). Rows at the
 * same place keep their creation order.
 */
export function assembleTranscript(
  turns: RuntimeTurn[],
  rows: SupplementalRow[],
  /** Start times from the read model (microseconds); the runtime's own are whole seconds. */
  startedAt: Map<string, Date> = new Map(),
): TranscriptEntry[] {
  turns = groupByRoot(turns);
  const sorted = [...rows].sort(
    (a, b) => a.created_at.getTime() - b.created_at.getTime() || a.id.localeCompare(b.id),
  );
  const turnIds = new Set(turns.map((t) => t.id));
  const anchored = (r: SupplementalRow) => r.turn_id !== null && turnIds.has(r.turn_id);
  const loose = sorted.filter((r) => !anchored(r));
  const out: TranscriptEntry[] = [];
  const emit = (r: SupplementalRow) =>
    out.push({ turnId: r.turn_id, source: 'supplemental', item: toSupplemental(r) });

  let nextLoose = 0;
  for (const turn of turns) {
    const startMs =
      startedAt.get(turn.id)?.getTime() ??
      (typeof turn.startedAt === 'number' ? turn.startedAt * 1000 : null);
    while (nextLoose < loose.length && startMs !== null && loose[nextLoose]!.created_at.getTime() < startMs) {
      emit(loose[nextLoose++]!);
    }
    const mine = sorted.filter((r) => r.turn_id === turn.id);
    const itemIds = new Set((turn.items ?? []).map((i) => i.id));
    for (const item of turn.items ?? []) {
      out.push({ turnId: turn.id, source: 'runtime', item });
      for (const r of mine) if (r.after_item_id !== null && r.after_item_id === item.id) emit(r);
    }
    for (const r of mine) if (r.after_item_id === null || !itemIds.has(r.after_item_id)) emit(r);
  }
  while (nextLoose < loose.length) emit(loose[nextLoose++]!);
  return out;
}
