import { renderBody } from '../../src/output/views';
import { chooseColumns, renderTable } from '../../src/output/table';
import { createStyle } from '../../src/output/style';

const ctx = { style: createStyle(false), width: 100 };

describe('human views of responses', () => {
  it('shows a list response as a table with the well-known columns first', () => {
    const out = renderBody(
      {
        sessions: [
          { title: 'first', id: 'a1', status: 'idle', nested: { x: 1 }, createdAt: null },
          { title: null, id: 'b2', status: 'active', nested: { x: 2 }, createdAt: null },
        ],
      },
      ctx,
    );
    expect(out.split('\n')).toEqual([
      'ID  TITLE  STATUS  CREATED AT',
      'a1  first  idle    -',
      'b2  -      active  -',
    ]);
  });

  it('shows a single object as aligned fields and other top-level lists as titled tables', () => {
    const out = renderBody(
      { session: { id: 's1', title: 't' }, turns: [{ id: 'u1', status: 'completed' }] },
      ctx,
    );
    expect(out).toBe(
      ['session', '  id     s1', '  title  t', '', 'turns (1)', '  ID  STATUS', '  u1  completed'].join('\n'),
    );
    expect(renderBody({ job: { id: 'j', tags: ['a', 'b'], error: null } }, ctx)).toBe(
      'id     j\ntags   a, b\nerror  -',
    );
  });

  it('shows a page of a list as the table with the cursor for the next page', () => {
    const rows = [{ id: 'm1', displayName: 'Model one' }];
    expect(renderBody({ data: rows, nextCursor: 'c2' }, ctx)).toBe(
      'ID  DISPLAY NAME\nm1  Model one\nmore: add --cursor c2',
    );
    expect(renderBody({ data: rows, nextCursor: null }, ctx)).toBe('ID  DISPLAY NAME\nm1  Model one');
  });

  it('says (none) for an empty list and prints text bodies as they are', () => {
    expect(renderBody({ sessions: [] }, ctx)).toBe('(none)');
    expect(renderBody('# HELP x\nx 1\n', ctx)).toBe('# HELP x\nx 1');
  });

  it('turns a health report into checks with hints', () => {
    const out = renderBody(
      {
        status: 'degraded',
        database: { ok: true, latencyMs: 1 },
        runtime: { state: 'restarting', lastExit: { code: 1, signal: null } },
        auth: { likelyUnauthenticated: true },
        services: {
          gateway: { up: true, instances: [{ pid: 1, ageMs: 500, up: true }] },
          'queue-worker': { up: false, instances: [] },
        },
        eventLog: { head: 9 },
      },
      ctx,
      'system.health',
    );
    expect(out).toContain('✓ database      reachable (1 ms)');
    expect(out).toContain('✗ queue-worker  down (never reported)');
    expect(out).toContain('✗ runtime       restarting; last exit code 1 signal -');
    expect(out).toContain('! auth          Codex has no credentials: turns will fail');
    expect(out).toMatch(/→ set OPENAI_API_KEY/);
  });

  it('fits tables to the width, cutting long text but never ids', () => {
    const rows = [{ id: 'x'.repeat(36), title: 'y'.repeat(80), status: 'idle' }];
    const cols = chooseColumns(rows, 60);
    expect(cols).toEqual(['id', 'title', 'status']);
    const [, line] = renderTable(rows, ctx.style, 60, cols).split('\n');
    expect(line!.length).toBeLessThanOrEqual(60);
    expect(line).toContain('x'.repeat(36));
    expect(line).toContain('…');
  });
});
