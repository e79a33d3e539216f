import pg from 'pg';
import type { Queryable } from './pool';

/** A statement with positional parameters (`$1`…), as node-pg takes it; `name` prepares it. */
export interface Statement {
  name?: string;
  text: string;
  values?: unknown[];
}

/** Elements of an array parameter, the way node-pg writes them: quoted, `\` and `"` escaped. */
function arrayLiteral(values: unknown[]): string {
  const element = (v: unknown): string => {
    if (v === null || v === undefined) return 'NULL';
    if (Array.isArray(v)) return arrayLiteral(v);
    return `"${textOf(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  };
  return `{${values.map(element).join(',')}}`;
}

function textOf(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return arrayLiteral(v);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v as string | number | bigint | boolean);
}

/**
 * A parameter value as an SQL literal of unknown type: what node-pg sends as a parameter (text,
 * type left to the server), so the statement resolves its types exactly as it does with `$n`.
 */
export function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (Buffer.isBuffer(value)) throw new TypeError('binary parameters cannot be inlined');
  return pg.escapeLiteral(textOf(value));
}

/**
 * The statement's text with each `$n` replaced by the literal of `values[n-1]`. Quoted strings,
 * quoted identifiers, dollar-quoted bodies and comments are copied untouched.
 */
export function inline(statement: Statement): string {
  const { text, values = [] } = statement;
  let out = '';
  let i = 0;
  const copyUntil = (end: string, from: number, backslashes = false): number => {
    let j = from;
    while (j < text.length) {
      if (backslashes && text[j] === '\\') j += 2;
      else if (text.startsWith(end, j)) {
        // '' inside a quoted string is a quote, not the end
        if (end.length === 1 && text[j + 1] === end && end !== '\n') j += 2;
        else return j + end.length;
      } else j += 1;
    }
    return text.length;
  };
  while (i < text.length) {
    const c = text[i]!;
    let next = i + 1;
    if (c === "'") {
      // E'…' takes backslash escapes; the E must start a token
      const escapes = /[eE]/.test(text[i - 1] ?? '') && !/\w/.test(text[i - 2] ?? '');
      next = copyUntil("'", i + 1, escapes);
    } else if (c === '"') next = copyUntil('"', i + 1);
    else if (c === '-' && text[i + 1] === '-') next = copyUntil('\n', i + 2);
    else if (c === '/' && text[i + 1] === '*') next = copyUntil('*/', i + 2);
    // `$` inside an identifier (`a$1`) is part of it, neither a parameter nor a dollar quote
    else if (c === '$' && !/\w/.test(text[i - 1] ?? '')) {
      const param = /^\$(\d+)/.exec(text.slice(i));
      const tag = param ? null : /^\$[A-Za-z_]*\$/.exec(text.slice(i));
      if (param) {
        const n = Number(param[1]);
        if (n < 1 || n > values.length) throw new RangeError(`statement has no value for $${n}`);
        out += literal(values[n - 1]);
        i += param[0].length;
        continue;
      }
      if (tag) next = copyUntil(tag[0], i + tag[0].length);
    }
    out += text.slice(i, next);
    i = next;
  }
  return out;
}

/**
 * Runs the statements as one simple query: one round trip instead of one per statement plus
 * BEGIN and COMMIT. PostgreSQL runs a query of several statements as one transaction, so either
 * all of them commit or none does (and a NOTIFY among them is sent at that commit). Values are
 * inlined as literals (`inline`), so the statements are planned anew each time: worth it for a few
 * small statements on a hot path, where each round trip is a wake-up of two processes.
 * Returns the rows of each statement, in order.
 */
export async function runScript<R extends pg.QueryResultRow = pg.QueryResultRow>(
  db: Queryable,
  statements: Statement[],
): Promise<R[][]> {
  if (statements.length === 0) return [];
  const res = (await db.query(statements.map(inline).join(';\n'))) as unknown as
    pg.QueryResult<R> | pg.QueryResult<R>[];
  return (Array.isArray(res) ? res : [res]).map((r) => r.rows);
}
