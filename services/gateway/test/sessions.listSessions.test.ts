import { AppError } from '@codex-manager/core';
import { listSessions, type ListFilter } from '../src/sessions/store';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db';

// The session list over a real database: keyset pagination must return every row exactly once,
// in order, even when many rows share one timestamp (the cursor keeps microseconds and the id).
let db: TestDatabase;
const base: ListFilter = { archived: 'false', includeSystemOwned: false, limit: 50 };
let projectId: string;

beforeAll(async () => {
  db = await createTestDatabase('list_sessions');
  projectId = (await db.pool.query<{ id: string }>(`INSERT INTO projects (name) VALUES ('P') RETURNING id`))
    .rows[0]!.id;
  // 30 user sessions: 10 share one timestamp exactly, 10 are a microsecond apart, 10 a second apart.
  for (let i = 0; i < 30; i++) {
    const ts =
      i < 10
        ? `2026-01-01 10:00:00.123456+00`
        : i < 20
          ? `2026-01-01 09:00:00.${String(100000 + i).padStart(6, '0')}+00`
          : `2026-01-01 08:00:${String(i).padStart(2, '0')}+00`;
    await db.pool.query(
      `INSERT INTO sessions (id, title, preview, updated_at, created_at, project_id, archived)
       VALUES ($1, $2, $3, $4, $4, $5, $6)`,
      [
        `s${String(i).padStart(2, '0')}`,
        i === 3 ? '100% done_here' : `title ${i}`,
        `preview ${i}`,
        ts,
        i % 3 === 0 ? projectId : null,
        i === 29,
      ],
    );
  }
  await db.pool.query(`INSERT INTO sessions (id, title, system_owned) VALUES ('worker', 'w', true)`);
});
afterAll(async () => {
  await db?.drop();
});

async function all(f: ListFilter): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const page = await listSessions(db.pool, { ...f, ...(cursor ? { cursor } : {}) });
    seen.push(...page.sessions.map((s) => s.id));
    if (!page.nextCursor) return seen;
    expect(page.sessions).toHaveLength(f.limit);
    cursor = page.nextCursor;
  }
  throw new Error('pagination did not end');
}

describe('listSessions', () => {
  it('pages through every session exactly once, newest activity first, ties broken by id', async () => {
    const oneShot = (await listSessions(db.pool, base)).sessions.map((s) => s.id);
    expect(oneShot).toHaveLength(29); // s29 is archived, the worker is system-owned
    for (const limit of [1, 3, 7, 10, 28, 29]) expect(await all({ ...base, limit })).toEqual(oneShot);
    expect(oneShot.slice(0, 10)).toEqual(
      Array.from({ length: 10 }, (_, i) => `s${String(9 - i).padStart(2, '0')}`),
    );
    expect(oneShot.slice(10, 12)).toEqual(['s19', 's18']); // a microsecond apart
  });

  it('says when there is no next page', async () => {
    const page = await listSessions(db.pool, { ...base, limit: 29 });
    expect(page.nextCursor).toBeNull();
  });

  it('filters by project, by no project, by archived and by text, and hides worker sessions unless asked', async () => {
    const inProject = await all({ ...base, projectId, limit: 4 });
    expect(inProject.sort()).toEqual(['s00', 's03', 's06', 's09', 's12', 's15', 's18', 's21', 's24', 's27']);
    const none = await all({ ...base, projectId: 'none', limit: 50 });
    expect(none).toHaveLength(19);
    expect(await all({ ...base, archived: 'true' })).toEqual(['s29']);
    expect(await all({ ...base, archived: 'all' })).toHaveLength(30);
    expect(await all({ ...base, q: 'preview 2' })).toEqual(expect.arrayContaining(['s02', 's20', 's21']));
    // LIKE wildcards in the search text are literal.
    expect(await all({ ...base, q: '100%' })).toEqual(['s03']);
    expect(await all({ ...base, q: 'e_h' })).toEqual(['s03']);
    expect(await all({ ...base, includeSystemOwned: true })).toContain('worker');
    expect(await all(base)).not.toContain('worker');
  });

  it('rejects a cursor it did not issue with a 400', async () => {
    for (const cursor of ['garbage', Buffer.from('{"v":1,"t":"x; drop","id":"a"}').toString('base64url')]) {
      const err = await listSessions(db.pool, { ...base, cursor }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).statusCode).toBe(400);
    }
  });
});
