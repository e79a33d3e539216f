import path from 'node:path';
import { usageError } from '../errors';
import type { HttpMethod, JsonSchema, Operation, Param } from './openapi';

/**
 * How a route becomes a command, as data: path params are positional arguments in path order, query
 * params and top-level body fields are flags named after them (kebab-case), anything complex takes
 * JSON, and `--body <json|@file|->` carries a whole body. Pure, so the mapping is unit-tested and the
 * route-parity test can check it for every route.
 */

/** Flags the CLI itself defines; a field with one of these names gets a prefixed flag instead. */
export const RESERVED_FLAGS = new Set([
  'json',
  'profile',
  'url',
  'token',
  'actor',
  'timeout',
  'color',
  'no-color',
  'body',
  'idempotency-key',
  'help',
  'version',
]);

export type FieldKind = 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'json';

export interface FieldType {
  kind: FieldKind;
  nullable: boolean;
  /** Allowed values of a string (or of array items). */
  choices?: string[];
  /** Kind of the items of an `array` (always a scalar). */
  itemKind?: 'string' | 'integer' | 'number';
  /** A string that must be an absolute path: relative flag values are resolved against the cwd. */
  absolutePath?: boolean;
  /** A `json` field that also accepts a plain string. */
  acceptsString?: boolean;
}

export interface FlagSpec {
  where: 'query' | 'body';
  /** Name of the query parameter or body field. */
  field: string;
  /** Long flag without dashes, e.g. `approval-policy`. */
  flag: string;
  /** Where commander stores the value, e.g. `approvalPolicy`. */
  attribute: string;
  type: FieldType;
  required: boolean;
  description: string;
}

export interface ArgSpec {
  param: string;
  /** Shown in usage, e.g. `<session>` for `/sessions/{id}`. */
  display: string;
  description: string;
}

export interface CommandSpec {
  op: Operation;
  group: string;
  name: string;
  aliases: string[];
  args: ArgSpec[];
  flags: FlagSpec[];
  /** `--body` is offered (the route takes a body). */
  body: boolean;
  /** The route changes something: `--idempotency-key` is offered. */
  mutating: boolean;
}

export interface ApiRequest {
  method: HttpMethod;
  /** Path with params filled in, e.g. `/api/sessions/abc/messages`. */
  path: string;
  query: [string, string][];
  body: unknown;
  headers: Record<string, string>;
}

/** Where `@file` and `-` sources are read from (injected so tests need no files or stdin). */
export interface SourceReader {
  cwd: string;
  readFile(file: string): string;
  readStdin(): string;
}

/** `sendMessage` → `send-message`, `toolInput` → `tool-input`, `access_token` → `access-token`. */
export const kebab = (s: string): string =>
  s
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .replace(/[_\s]+/g, '-')
    .toLowerCase();

/** The attribute name commander derives from a long flag (`approval-policy` → `approvalPolicy`). */
export const attributeOf = (flag: string): string =>
  flag.split('-').reduce((acc, word, i) => (i === 0 ? word : acc + word[0]!.toUpperCase() + word.slice(1)));

const ALIASES: Record<string, string[]> = { list: ['ls'], delete: ['rm'], get: ['show'] };

function nonNull(s: JsonSchema): { schema: JsonSchema; nullable: boolean } {
  if (Array.isArray(s.type) && s.type.includes('null')) {
    const rest = s.type.filter((t) => t !== 'null');
    return { schema: { ...s, type: rest.length === 1 ? rest[0] : rest }, nullable: true };
  }
  const alts = s.anyOf ?? s.oneOf;
  if (alts) {
    const rest = alts.filter((a) => a.type !== 'null');
    if (rest.length === 1 && rest.length < alts.length) return { schema: rest[0]!, nullable: true };
  }
  return { schema: s, nullable: false };
}

const scalarKind = (s: JsonSchema): 'string' | 'integer' | 'number' | undefined => {
  if (Array.isArray(s.enum) && s.enum.every((v) => typeof v === 'string')) return 'string';
  if (typeof s.const === 'string') return 'string';
  if (s.type === 'string' || s.type === 'integer' || s.type === 'number') return s.type;
  return undefined;
};

const choicesOf = (s: JsonSchema): string[] | undefined =>
  Array.isArray(s.enum) && s.enum.every((v) => typeof v === 'string')
    ? (s.enum as string[])
    : typeof s.const === 'string'
      ? [s.const]
      : undefined;

export function fieldType(raw: JsonSchema): FieldType {
  const { schema, nullable } = nonNull(raw);
  const scalar = scalarKind(schema);
  if (scalar) {
    const t: FieldType = { kind: scalar, nullable };
    const choices = choicesOf(schema);
    if (choices) t.choices = choices;
    if (scalar === 'string' && schema.pattern?.startsWith('^\\/')) t.absolutePath = true;
    return t;
  }
  if (schema.type === 'boolean') return { kind: 'boolean', nullable };
  if (schema.type === 'array' && schema.items) {
    const item = scalarKind(schema.items);
    if (item) {
      const t: FieldType = { kind: 'array', nullable, itemKind: item };
      const choices = choicesOf(schema.items);
      if (choices) t.choices = choices;
      return t;
    }
  }
  const alts = schema.anyOf ?? schema.oneOf ?? [];
  // A union of strings (a uuid or `none`) is a string; its choices only when every branch has them.
  if (alts.length && alts.every((a) => scalarKind(a) === 'string')) {
    const t: FieldType = { kind: 'string', nullable };
    const each = alts.map(choicesOf);
    if (each.every(Boolean)) t.choices = each.flatMap((c) => c!);
    return t;
  }
  // Any JSON value (`{}`): JSON when it parses, else the text as a string (`--value hello`).
  const any = !schema.type && !alts.length && !schema.properties && schema.enum === undefined;
  return { kind: 'json', nullable, acceptsString: any || alts.some((a) => a.type === 'string') };
}

const singular = (segment: string): string =>
  segment.endsWith('ies')
    ? segment.slice(0, -3) + 'y'
    : segment.endsWith('s') && !segment.endsWith('ss')
      ? segment.slice(0, -1)
      : segment;

/** `/api/sessions/{id}` → `session`; `/api/projects/{projectId}` → `project`. */
function argDisplay(op: Operation, p: Param): string {
  if (p.name !== 'id') return kebab(p.name).replace(/-id$/, '') || kebab(p.name);
  const segs = op.path.split('/');
  const i = segs.indexOf(`{${p.name}}`);
  const prev = i > 0 ? segs[i - 1]! : '';
  return prev && !prev.startsWith('{') && prev !== 'api' ? singular(kebab(prev)) : 'id';
}

function describe(type: FieldType, p: { required: boolean; description?: string | undefined }, d?: unknown) {
  const parts: string[] = [];
  if (p.description) parts.push(p.description);
  if (type.kind === 'json')
    parts.push(type.acceptsString ? 'JSON or @file (other text is sent as a string)' : 'JSON, or @file');
  if (type.kind === 'array') parts.push('repeat for several');
  if (type.kind === 'integer' || type.kind === 'number') parts.push(type.kind);
  if (type.absolutePath) parts.push('absolute path (a relative one is resolved here)');
  if (type.nullable && type.kind !== 'boolean') parts.push('`null` clears it');
  if (d !== undefined) parts.push(`server default: ${JSON.stringify(d)}`);
  if (p.required) parts.push('required');
  return parts.join('; ');
}

export function commandSpecOf(op: Operation): CommandSpec {
  const taken = new Set(RESERVED_FLAGS);
  const flags: FlagSpec[] = [];
  const add = (
    where: 'query' | 'body',
    field: string,
    schema: JsonSchema,
    required: boolean,
    desc?: string,
  ) => {
    let type = fieldType(schema);
    // A query value is text in the URL whatever its schema: no JSON parsing there.
    if (where === 'query' && type.kind === 'json') type = { kind: 'string', nullable: false };
    let flag = kebab(field);
    if (taken.has(flag) || (type.kind === 'boolean' && taken.has(`no-${flag}`)))
      flag = `${where === 'query' ? 'query' : 'field'}-${flag}`;
    taken.add(flag);
    if (type.kind === 'boolean') taken.add(`no-${flag}`);
    flags.push({
      where,
      field,
      flag,
      attribute: attributeOf(flag),
      type,
      required,
      description: describe(type, { required, description: desc ?? schema.description }, schema.default),
    });
  };
  for (const q of op.queryParams) add('query', q.name, q.schema, q.required, q.description);
  const bodyObject = op.body && op.body.schema.type === 'object' ? op.body.schema : null;
  for (const [name, schema] of Object.entries(bodyObject?.properties ?? {}))
    add('body', name, schema, (bodyObject?.required ?? []).includes(name));
  const usedArgs = new Set<string>();
  const args = op.pathParams.map((p) => {
    let display = argDisplay(op, p);
    while (usedArgs.has(display)) display = `${display}-${p.name}`;
    usedArgs.add(display);
    return { param: p.name, display, description: p.description ?? `the ${display}'s ${p.name}` };
  });
  const name = kebab(op.action);
  return {
    op,
    group: kebab(op.group),
    name,
    aliases: ALIASES[name] ?? [],
    args,
    flags,
    body: op.body !== null,
    mutating: op.method !== 'get',
  };
}

/** `--body` and JSON flags: inline JSON, `@file`, or `-` for stdin. */
export function readJsonSource(spec: string, label: string, src: SourceReader): unknown {
  const text =
    spec === '-' ? src.readStdin() : spec.startsWith('@') ? readFileOrFail(spec.slice(1), label, src) : spec;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw usageError(
      `${label} is not valid JSON: ${(e as Error).message}`,
      `give inline JSON ('{"key": "value"}'), @file or - (stdin)`,
    );
  }
}

function readFileOrFail(file: string, label: string, src: SourceReader): string {
  try {
    return src.readFile(path.resolve(src.cwd, file));
  } catch (e) {
    throw usageError(`${label}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
}

function scalar(kind: 'string' | 'integer' | 'number', raw: string, label: string): string | number {
  if (kind === 'string') return raw;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || (kind === 'integer' && !Number.isInteger(n)))
    throw usageError(`${label} expects ${kind === 'integer' ? 'an integer' : 'a number'}, got '${raw}'`);
  return n;
}

/** Turns one flag's raw commander value into the JSON value sent. */
export function coerceFlag(f: FlagSpec, raw: unknown, src: SourceReader): unknown {
  const label = `--${f.flag}`;
  const t = f.type;
  if (t.nullable && raw === 'null') return null;
  switch (t.kind) {
    case 'boolean':
      return raw === true || raw === 'true';
    case 'string': {
      const s = String(raw);
      return t.absolutePath && !path.isAbsolute(s) ? path.resolve(src.cwd, s) : s;
    }
    case 'integer':
    case 'number':
      return scalar(t.kind, String(raw), label);
    case 'array':
      return (Array.isArray(raw) ? raw : [raw]).map((v) => scalar(t.itemKind!, String(v), label));
    case 'json': {
      const s = String(raw);
      try {
        return readJsonSource(s, label, src);
      } catch (e) {
        // Inline text that is not JSON is a string where one is allowed; a bad @file/stdin is not.
        if (t.acceptsString && s !== '-' && !s.startsWith('@')) return s;
        throw e;
      }
    }
  }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The HTTP request a command's arguments and flags stand for. */
export function requestOf(
  spec: CommandSpec,
  args: string[],
  opts: Record<string, unknown>,
  src: SourceReader,
): ApiRequest {
  const { op } = spec;
  let i = 0;
  const values = new Map(spec.args.map((a) => [a.param, args[i++]]));
  const p = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const v = values.get(name);
    if (v === undefined || v === '') throw usageError(`missing argument <${name}>`);
    return encodeURIComponent(v);
  });
  const query: [string, string][] = [];
  const fields: Record<string, unknown> = {};
  for (const f of spec.flags) {
    const raw = opts[f.attribute];
    if (raw === undefined) continue;
    const v = coerceFlag(f, raw, src);
    if (f.where === 'body') fields[f.field] = v;
    else if (Array.isArray(v)) for (const x of v) query.push([f.field, String(x)]);
    else query.push([f.field, typeof v === 'string' ? v : JSON.stringify(v)]);
  }
  for (const f of spec.flags.filter((x) => x.where === 'query' && x.required))
    if (!query.some(([k]) => k === f.field)) throw usageError(`missing required option --${f.flag}`);

  let body: unknown = undefined;
  if (spec.body) {
    const base = typeof opts.body === 'string' ? readJsonSource(opts.body, '--body', src) : undefined;
    if (Object.keys(fields).length > 0) {
      if (base !== undefined && !isPlainObject(base))
        throw usageError('--body must be a JSON object when combined with field flags');
      body = { ...(base as Record<string, unknown> | undefined), ...fields };
    } else body = base;
    if (body === undefined && op.body?.required) body = {};
    if (isPlainObject(body)) {
      const given = body;
      const missing = spec.flags.filter((f) => f.where === 'body' && f.required && !(f.field in given));
      if (missing.length)
        throw usageError(
          `missing required ${missing.map((f) => `--${f.flag}`).join(', ')}`,
          'give each as a flag or inside --body',
        );
    }
  }
  const headers: Record<string, string> = {};
  if (typeof opts.idempotencyKey === 'string') headers['idempotency-key'] = opts.idempotencyKey;
  return { method: op.method, path: p, query, body, headers };
}
