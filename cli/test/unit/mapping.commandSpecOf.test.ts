import { Option } from 'commander';
import { attributeOf, commandSpecOf, fieldType, kebab } from '../../src/api/mapping';
import { loadDocument, operationsOf, type OpenApiDocument } from '../../src/api/openapi';

const doc = (paths: OpenApiDocument['paths']): OpenApiDocument => ({
  openapi: '3.1.0',
  info: { title: 't', version: '1' },
  paths,
});

describe('naming', () => {
  it('turns operation and field names into kebab-case words', () => {
    expect(kebab('sendMessage')).toBe('send-message');
    expect(kebab('toolInput')).toBe('tool-input');
    expect(kebab('suggestRequestEnqueue')).toBe('suggest-request-enqueue');
    expect(kebab('access_token')).toBe('access-token');
    expect(kebab('MCPServers')).toBe('mcp-servers');
    expect(kebab('list')).toBe('list');
  });

  it('derives the same attribute names commander does', () => {
    for (const flag of ['approval-policy', 'field-json', 'query-access-token', 'cwd', 'idempotency-key'])
      expect(attributeOf(flag)).toBe(new Option(`--${flag} <v>`).attributeName());
  });
});

describe('field types from JSON Schema', () => {
  it('reads scalars, enums, nullables, scalar arrays and falls back to JSON', () => {
    expect(fieldType({ type: 'string' })).toEqual({ kind: 'string', nullable: false });
    expect(fieldType({ type: 'string', enum: ['a', 'b'] })).toEqual({
      kind: 'string',
      nullable: false,
      choices: ['a', 'b'],
    });
    expect(fieldType({ type: ['string', 'null'] })).toEqual({ kind: 'string', nullable: true });
    expect(fieldType({ anyOf: [{ type: 'integer' }, { type: 'null' }] })).toEqual({
      kind: 'integer',
      nullable: true,
    });
    expect(fieldType({ type: 'boolean' })).toMatchObject({ kind: 'boolean' });
    expect(fieldType({ type: 'array', items: { type: 'string' } })).toMatchObject({
      kind: 'array',
      itemKind: 'string',
    });
    expect(fieldType({ type: 'array', items: { type: 'object' } })).toMatchObject({ kind: 'json' });
    expect(fieldType({ type: 'object', properties: {} })).toMatchObject({
      kind: 'json',
      acceptsString: false,
    });
    expect(
      fieldType({ anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] }),
    ).toMatchObject({
      kind: 'json',
      acceptsString: true,
    });
    expect(fieldType({ type: 'string', pattern: '^\\/.*' })).toMatchObject({ absolutePath: true });
    // A uuid or `none`: a string; both literal branches: their choices.
    expect(
      fieldType({
        anyOf: [
          { type: 'string', format: 'uuid' },
          { type: 'string', const: 'none' },
        ],
      }),
    ).toEqual({
      kind: 'string',
      nullable: false,
    });
    expect(fieldType({ oneOf: [{ const: 'a' }, { enum: ['b', 'c'] }] })).toEqual({
      kind: 'string',
      nullable: false,
      choices: ['a', 'b', 'c'],
    });
    // Any JSON value: JSON when it parses, else a string.
    expect(fieldType({})).toEqual({ kind: 'json', nullable: false, acceptsString: true });
  });
});

describe('commandSpecOf', () => {
  const ops = operationsOf(
    doc({
      '/api/projects/{projectId}/sessions/{id}': {
        post: {
          operationId: 'projects.assignSession',
          summary: 'Assign',
          parameters: [
            { name: 'projectId', in: 'path', schema: { type: 'string' } },
            { name: 'id', in: 'path', schema: { type: 'string' } },
            { name: 'json', in: 'query', schema: { type: 'boolean' } },
          ],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    token: { type: 'string' },
                    json: { type: 'string' },
                    mode: { type: 'string', enum: ['merge', 'replace'] },
                    labels: { type: 'array', items: { type: 'string' } },
                    value: {},
                  },
                  required: ['mode'],
                },
              },
            },
          },
        },
      },
      '/api/tool-calls/{id}': { get: { operationId: 'toolCalls.get', summary: 'One' } },
    }),
  );

  it('maps path params to positional arguments in path order, named after their segment', () => {
    const spec = commandSpecOf(ops.find((o) => o.id === 'projects.assignSession')!);
    expect(spec.group).toBe('projects');
    expect(spec.name).toBe('assign-session');
    expect(spec.args.map((a) => [a.param, a.display])).toEqual([
      ['projectId', 'project'],
      ['id', 'session'],
    ]);
    const get = commandSpecOf(ops.find((o) => o.id === 'toolCalls.get')!);
    expect([get.group, get.name, get.args[0]!.display, get.aliases]).toEqual([
      'tool-calls',
      'get',
      'tool-call',
      ['show'],
    ]);
  });

  it('names flags after fields and prefixes the ones that would collide with the CLI’s own flags', () => {
    const spec = commandSpecOf(ops.find((o) => o.id === 'projects.assignSession')!);
    const flags = Object.fromEntries(spec.flags.map((f) => [`${f.where}.${f.field}`, f.flag]));
    expect(flags).toEqual({
      'query.json': 'query-json',
      'body.token': 'field-token',
      'body.json': 'field-json',
      'body.mode': 'mode',
      'body.labels': 'labels',
      'body.value': 'value',
    });
    expect(spec.flags.find((f) => f.field === 'mode')).toMatchObject({
      required: true,
      type: { choices: ['merge', 'replace'] },
    });
    expect(spec.body).toBe(true);
    expect(spec.mutating).toBe(true);
  });

  it('maps every route of the committed OpenAPI document without collisions', () => {
    for (const op of operationsOf(loadDocument())) {
      const spec = commandSpecOf(op);
      const names = spec.flags.flatMap((f) =>
        f.type.kind === 'boolean' ? [f.flag, `no-${f.flag}`] : [f.flag],
      );
      expect(new Set(names).size).toBe(names.length);
      expect(spec.args).toHaveLength(op.pathParams.length);
    }
  });
});
