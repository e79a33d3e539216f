import { EventLog, inline, literal, runScript, type NewEvent } from '../src';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db';

jest.setTimeout(60_000);

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('db_script');
  await db.pool.query(
    'CREATE TABLE script_t (id int PRIMARY KEY, note text, doc jsonb, tags text[], flag boolean)',
  );
});
afterAll(async () => {
  await db.drop();
});

const awkward = [
  "it's",
  'back\\slash',
  'quote " and \\" both',
  '$1 and $$ and $tag$',
  '-- not a comment',
  'line\nbreak',
  'unicode ✓ 𝄞',
  '',
];

describe('inline and runScript', () => {
  it('gives every kind of value the server reads from a parameter, unchanged', async () => {
    const text =
      'SELECT $1::text AS s, $2::int AS n, $3::jsonb AS j, $4::text[] AS a, $5::boolean AS b, $6::text AS z';
    for (const s of awkward) {
      const values = [s, 42, { s, nested: [s, null] }, [s, null, 'x,y', '{}'], true, null];
      const viaParams = (await db.pool.query(text, values)).rows[0];
      const [rows] = await runScript(db.pool, [{ text, values }]);
      const viaScript = rows?.[0];
      expect(viaScript).toEqual(viaParams);
      expect(viaScript).toEqual({
        s,
        n: 42,
        j: { s, nested: [s, null] },
        a: [s, null, 'x,y', '{}'],
        b: true,
        z: null,
      });
    }
  });

  it('leaves $n inside quoted text, E-strings, dollar quotes and comments alone', () => {
    const text = `SELECT '$1', E'\\'$1', "$1", $q$ $1 $q$, $$ $2 $$ -- $1
      /* $2 */, $1, $2`;
    expect(inline({ text, values: ['a', 'b'] })).toBe(
      `SELECT '$1', E'\\'$1', "$1", $q$ $1 $q$, $$ $2 $$ -- $1
      /* $2 */, 'a', 'b'`,
    );
    expect(inline({ text: 'SELECT a$1, $1', values: ['x'] })).toBe(`SELECT a$1, 'x'`);
    expect(() => inline({ text: 'SELECT $3', values: [1] })).toThrow(/no value for \$3/);
    expect(literal(undefined)).toBe('NULL');
    expect(() => literal(Buffer.from('x'))).toThrow(TypeError);
  });

  it('commits all statements at once, or none of them when one fails', async () => {
    const insert = (id: number, note: string) => ({
      text: 'INSERT INTO script_t (id, note) VALUES ($1, $2)',
      values: [id, note],
    });
    const results = await runScript(db.pool, [
      insert(1, 'one'),
      insert(2, "two's"),
      { text: 'SELECT count(*)::int AS n FROM script_t' },
    ]);
    expect(results).toEqual([[], [], [{ n: 2 }]]);
    // the third statement violates the primary key: the first two must not stay
    await expect(
      runScript(db.pool, [insert(3, 'three'), insert(4, 'four'), insert(1, 'again')]),
    ).rejects.toThrow(/duplicate key/);
    const { rows } = await db.pool.query('SELECT id, note FROM script_t ORDER BY id');
    expect(rows).toEqual([
      { id: 1, note: 'one' },
      { id: 2, note: "two's" },
    ]);
  });

  it('appends events together with read-model writes in one transaction (EventLog.appendWith)', async () => {
    const log = new EventLog(db.pool);
    const before = await log.head();
    const ev = (n: number): NewEvent => ({
      type: 'test.script',
      source: 'test',
      data: { n, text: awkward[n] },
    });
    const range = await log.appendWith(
      [ev(0), ev(1), ev(3)],
      [{ text: 'UPDATE script_t SET note = $2 WHERE id = $1', values: [1, 'projected'] }],
    );
    expect(range).toEqual({ first: before + 1, last: before + 3 });
    const { events } = await log.read(before);
    expect(events.map((e) => e.data)).toEqual([0, 1, 3].map((n) => ({ n, text: awkward[n] })));
    expect((await db.pool.query('SELECT note FROM script_t WHERE id = 1')).rows[0].note).toBe('projected');

    // A failing write takes the append with it: the log does not move.
    await expect(
      log.appendWith([ev(0)], [{ text: 'UPDATE no_such_table SET x = 1', values: [] }]),
    ).rejects.toThrow(/no_such_table/);
    expect(await log.head()).toBe(before + 3);
  });
});
