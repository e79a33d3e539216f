import { assembleTranscript, type RuntimeTurn, type SupplementalRow } from '../src/sessions/transcript';

const at = (iso: string) => new Date(iso);
const row = (
  id: string,
  created: string,
  turn: string | null = null,
  after: string | null = null,
): SupplementalRow => ({
  id,
  turn_id: turn,
  after_item_id: after,
  kind: 'note',
  content: id,
  actor: 'tester',
  source: 'test',
  created_at: at(created),
  updated_at: at(created),
});
const turns: RuntimeTurn[] = [
  {
    id: 't1',
    startedAt: Date.parse('2026-01-01T10:00:00Z') / 1000,
    items: [
      { id: 'u1', type: 'userMessage' },
      { id: 'a1', type: 'agentMessage' },
    ],
  },
  {
    id: 't2',
    startedAt: Date.parse('2026-01-01T10:05:00Z') / 1000,
    items: [
      { id: 'u2', type: 'userMessage' },
      { id: 'a2', type: 'agentMessage' },
    ],
  },
];
const order = (rows: SupplementalRow[], starts?: Map<string, Date>) =>
  assembleTranscript(turns, rows, starts).map((e) =>
    e.source === 'runtime' ? (e.item as { id: string }).id : `[${(e.item as { id: string }).id}]`,
  );

describe('assembleTranscript', () => {
  it('keeps the runtime order of turns and items when there are no supplemental rows', () => {
    expect(order([])).toEqual(['u1', 'a1', 'u2', 'a2']);
  });

  it('puts a row after the item it names, and a row naming only its turn at the end of that turn', () => {
    expect(
      order([
        row('end-of-t1', '2026-01-01T11:00:00Z', 't1'),
        row('after-u2', '2026-01-01T11:00:00Z', 't2', 'u2'),
      ]),
    ).toEqual(['u1', 'a1', '[end-of-t1]', 'u2', '[after-u2]', 'a2']);
  });

  it('treats an item the turn no longer has like no item', () => {
    expect(order([row('x', '2026-01-01T09:00:00Z', 't1', 'gone')])).toEqual(['u1', 'a1', '[x]', 'u2', 'a2']);
  });

  it('places rows without a known turn between turns by creation time', () => {
    expect(
      order([
        row('before-all', '2026-01-01T09:00:00Z'),
        row('between', '2026-01-01T10:01:00Z'),
        row('unknown-turn', '2026-01-01T10:02:00Z', 'rolled-back'),
        row('last', '2026-01-01T12:00:00Z'),
      ]),
    ).toEqual(['[before-all]', 'u1', 'a1', '[between]', '[unknown-turn]', 'u2', 'a2', '[last]']);
  });

  it("uses read-model start times (sub-second) over the runtime's whole seconds when given", () => {
    const starts = new Map([['t2', at('2026-01-01T10:05:00.500Z')]]);
    const r = row('same-second', '2026-01-01T10:05:00.200Z');
    expect(order([r], starts)).toEqual(['u1', 'a1', '[same-second]', 'u2', 'a2']);
    expect(order([row('later', '2026-01-01T10:05:00.700Z')], starts)).toEqual([
      'u1',
      'a1',
      'u2',
      'a2',
      '[later]',
    ]);
  });

  it('keeps rows at the same place in creation order, then by id', () => {
    expect(
      order([
        row('b', '2026-01-01T11:00:00Z', 't1'),
        row('a', '2026-01-01T11:00:00Z', 't1'),
        row('c', '2026-01-01T10:59:00Z', 't1'),
      ]),
    ).toEqual(['u1', 'a1', '[c]', '[a]', '[b]', 'u2', 'a2']);
  });

  it('marks every entry with its turn and source', () => {
    const entries = assembleTranscript(turns, [row('n', '2026-01-01T11:00:00Z', 't2')]);
    expect(entries.at(-1)).toMatchObject({
      turnId: 't2',
      source: 'supplemental',
      item: { id: 'n', kind: 'note', actor: 'tester' },
    });
    expect(entries[0]).toMatchObject({ turnId: 't1', source: 'runtime', item: { id: 'u1' } });
  });

  it("merges a review's inner turn into the review turn it belongs to", () => {
    const review: RuntimeTurn[] = [
      { id: 'inner', rootTurnId: 'rev', startedAt: 1, items: [{ id: 'prompt', type: 'userMessage' }] },
      { id: 'rev', rootTurnId: 'rev', startedAt: 2, items: [{ id: 'entered', type: 'enteredReviewMode' }] },
    ];
    const entries = assembleTranscript(review, [row('note', '2026-01-01T11:00:00Z', 'rev')]);
    expect(entries.map((e) => [e.turnId, (e.item as { id: string }).id])).toEqual([
      ['rev', 'prompt'],
      ['rev', 'entered'],
      ['rev', 'note'],
    ]);
  });
});
