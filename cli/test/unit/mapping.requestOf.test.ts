import { commandSpecOf, requestOf, type SourceReader } from '../../src/api/mapping';
import { operationsOf, type OpenApiDocument } from '../../src/api/openapi';
import { CliError } from '../../src/errors';

const files: Record<string, string> = { '/work/body.json': '{"text": "from file", "model": "m1"}' };
const src = (stdin = ''): SourceReader => ({
  cwd: '/work',
  readFile: (f) => {
    if (!(f in files)) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
    return files[f]!;
  },
  readStdin: () => stdin,
});

const doc: OpenApiDocument = {
  openapi: '3.1.0',
  info: { title: 't', version: '1' },
  paths: {
    '/api/sessions/{id}/messages': {
      post: {
        operationId: 'sessions.sendMessage',
        parameters: [{ name: 'id', in: 'path', schema: { type: 'string' } }],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: {
                  text: { type: 'string' },
                  model: { type: ['string', 'null'] },
                  cwd: { type: 'string', pattern: '^\\/.*' },
                  limit: { type: 'integer' },
                  stream: { type: 'boolean' },
                  tags: { type: 'array', items: { type: 'integer' } },
                  controls: { type: 'object' },
                  value: {},
                },
                required: ['text'],
              },
            },
          },
        },
      },
    },
    '/api/jobs': {
      get: {
        operationId: 'jobs.list',
        parameters: [
          { name: 'status', in: 'query', schema: { type: 'array', items: { type: 'string' } } },
          { name: 'limit', in: 'query', schema: { type: 'integer' } },
          { name: 'project', in: 'query', required: true, schema: { type: 'string' } },
        ],
      },
    },
  },
};
const [jobsList, send] = operationsOf(doc).map(commandSpecOf);

function usage(fn: () => unknown): CliError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CliError);
    expect((e as CliError).exitCode).toBe(2);
    return e as CliError;
  }
  throw new Error('expected a usage error');
}

describe('requestOf', () => {
  it('fills and encodes path params and coerces flag values by their schema', () => {
    const req = requestOf(
      send!,
      ['a b/c'],
      {
        text: 'hi',
        model: 'null',
        cwd: 'sub/dir',
        limit: '5',
        stream: true,
        tags: ['1', '2'],
        controls: '{"model":"x"}',
        idempotencyKey: 'k1',
      },
      src(),
    );
    expect(req).toEqual({
      method: 'post',
      path: '/api/sessions/a%20b%2Fc/messages',
      query: [],
      body: {
        text: 'hi',
        model: null,
        cwd: '/work/sub/dir',
        limit: 5,
        stream: true,
        tags: [1, 2],
        controls: { model: 'x' },
      },
      headers: { 'idempotency-key': 'k1' },
    });
  });

  it('merges --body (inline, @file or stdin) with flags, flags winning', () => {
    expect(requestOf(send!, ['s'], { body: '@body.json', model: 'm2' }, src()).body).toEqual({
      text: 'from file',
      model: 'm2',
    });
    expect(requestOf(send!, ['s'], { body: '-' }, src('{"text":"piped"}')).body).toEqual({ text: 'piped' });
    expect(requestOf(send!, ['s'], { body: '{"text":"inline","extra":1}' }, src()).body).toEqual({
      text: 'inline',
      extra: 1,
    });
  });

  it('sends an any-JSON field as JSON when it parses, else as the text', () => {
    const body = (value: string) => requestOf(send!, ['s'], { text: 'x', value }, src()).body;
    expect(body('42')).toEqual({ text: 'x', value: 42 });
    expect(body('{"a":[1]}')).toEqual({ text: 'x', value: { a: [1] } });
    expect(body('hello world')).toEqual({ text: 'x', value: 'hello world' });
    expect(body('@body.json')).toEqual({ text: 'x', value: { text: 'from file', model: 'm1' } });
    expect(usage(() => body('@nope.json')).message).toMatch(/cannot read nope.json/);
  });

  it('rejects what the server would reject before sending: missing fields, bad numbers, bad JSON', () => {
    expect(usage(() => requestOf(send!, ['s'], {}, src())).message).toBe('missing required --text');
    expect(usage(() => requestOf(send!, ['s'], { text: 'x', limit: '1.5' }, src())).message).toMatch(
      /--limit expects an integer/,
    );
    expect(usage(() => requestOf(send!, ['s'], { text: 'x', controls: '{oops' }, src())).message).toMatch(
      /--controls is not valid JSON/,
    );
    expect(usage(() => requestOf(send!, ['s'], { body: '[1]', text: 'x' }, src())).message).toMatch(
      /must be a JSON object/,
    );
    expect(usage(() => requestOf(send!, ['s'], { body: '@missing.json' }, src())).message).toMatch(
      /cannot read missing.json: ENOENT/,
    );
  });

  it('sends query arrays as repeated parameters and requires required query params', () => {
    const req = requestOf(jobsList!, [], { status: ['queued', 'failed'], limit: '10', project: 'p' }, src());
    expect(req.query).toEqual([
      ['status', 'queued'],
      ['status', 'failed'],
      ['limit', '10'],
      ['project', 'p'],
    ]);
    expect(req.body).toBeUndefined();
    expect(usage(() => requestOf(jobsList!, [], {}, src())).message).toBe(
      'missing required option --project',
    );
  });
});
