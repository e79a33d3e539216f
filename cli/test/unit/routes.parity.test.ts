import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Command } from 'commander';
import { loadDocument, operationsOf, type OpenApiDocument } from '../../src/api/openapi';
import { INBOX_LIST_PARAMS, INBOX_OPERATIONS } from '../../src/commands/inbox';
import { STREAM_PARAMS } from '../../src/commands/stream';
import type { CliDeps } from '../../src/context';
import { createProgram } from '../../src/program';
import { Capture, runInProcess } from '../helpers/run';

/**
 * Route parity: every route of the committed OpenAPI document (docs/openapi.json) has a command, and
 * each command takes every path param, query param and body field of its route.
 */
function programFor(doc: OpenApiDocument) {
  const deps = {
    env: {},
    cwd: '/',
    stdout: new Capture(),
    stderr: new Capture(),
    stdin: process.stdin,
    readStdin: () => '',
    fetch,
    doc,
    operations: operationsOf(doc),
    version: 'test',
    onInterrupt: () => () => undefined,
    interrupt: () => undefined,
  } satisfies CliDeps;
  return createProgram(deps);
}

/** Every (method, path, operationId) in the raw document, read independently of the CLI's reader. */
function routesIn(doc: OpenApiDocument): { method: string; path: string; id: string | undefined }[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item as Record<string, { operationId?: string }>)
      .filter(([method]) =>
        ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'].includes(method),
      )
      .map(([method, op]) => ({ method, path, id: op.operationId })),
  );
}

const find = (root: Command, names: string[]): Command | undefined =>
  names.reduce<Command | undefined>((c, n) => c?.commands.find((s) => s.name() === n), root);

describe('route parity with docs/openapi.json', () => {
  const doc = loadDocument();
  const { program, api, special } = programFor(doc);

  it('has a command for every route', () => {
    const missing = routesIn(doc)
      .filter((r) => !r.id || (!api.has(r.id) && !special.has(r.id)))
      .map((r) => `${r.method.toUpperCase()} ${r.path} (${r.id ?? 'no operationId'})`);
    expect(missing).toEqual([]);
    expect(api.size + special.size).toBe(routesIn(doc).length);
  });

  it('reaches each generated command as `cmgr <group> <action>` with every parameter mapped', () => {
    for (const op of operationsOf(doc)) {
      const entry = api.get(op.id);
      if (!entry) continue;
      const { command, spec } = entry;
      expect(find(program, [spec.group, spec.name])).toBe(command);
      expect(command.registeredArguments.map((a) => a.name())).toEqual(spec.args.map((a) => a.display));
      expect(spec.args.map((a) => a.param)).toEqual(op.pathParams.map((p) => p.name));
      const longs = new Set(command.options.map((o) => o.long));
      const fields = [
        ...op.queryParams.map((p) => `query.${p.name}`),
        ...Object.keys(op.body?.schema.properties ?? {}).map((k) => `body.${k}`),
      ];
      expect(spec.flags.map((f) => `${f.where}.${f.field}`).sort()).toEqual(fields.sort());
      for (const f of spec.flags) expect(longs.has(`--${f.flag}`)).toBe(true);
      if (op.body) expect(longs.has('--body')).toBe(true);
    }
  });

  it('serves the inbox routes by `cmgr inbox`, whose list covers every query parameter', () => {
    const ops = operationsOf(doc);
    const list = ops.find((o) => o.id === 'inbox.list');
    for (const id of INBOX_OPERATIONS)
      if (ops.some((o) => o.id === id)) expect(special.get(id)?.name()).toBe('inbox');
    if (!list) return; // the server does not have the inbox yet
    const inbox = find(program, ['inbox', 'list'])!;
    const longs = new Set(inbox.options.map((o) => o.long));
    for (const p of list.queryParams) {
      expect(Object.keys(INBOX_LIST_PARAMS)).toContain(p.name);
      expect(longs.has(INBOX_LIST_PARAMS[p.name]!)).toBe(true);
    }
  });

  it('lets the stream viewer cover every query parameter of its route', () => {
    const op = operationsOf(doc).find((o) => o.id === 'stream.events')!;
    const stream = special.get('stream.events')!;
    const longs = new Set(stream.options.map((o) => o.long));
    for (const p of op.queryParams) {
      expect(Object.keys(STREAM_PARAMS)).toContain(p.name);
      const flag = STREAM_PARAMS[p.name];
      if (flag) expect(longs.has(flag)).toBe(true);
    }
  });
});

describe('a route added to the document', () => {
  const base = loadDocument();
  const doc: OpenApiDocument = {
    ...base,
    paths: {
      ...base.paths,
      '/api/widgets/{id}/frob': {
        post: {
          operationId: 'widgets.frob',
          summary: 'Frob a widget',
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'force', in: 'query', schema: { type: 'boolean' } },
          ],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    level: { type: 'integer' },
                    mode: { type: 'string', enum: ['soft', 'hard'] },
                  },
                  required: ['level'],
                },
              },
            },
          },
        },
      },
    },
  };

  let server: http.Server;
  let url: string;
  const seen: { method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"widget":{"id":"w1","level":3}}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('becomes a command with its params as arguments and flags, with no code change', async () => {
    const r = await runInProcess(
      [
        '--url',
        url,
        '--actor',
        'tester',
        'widgets',
        'frob',
        'w1',
        '--level',
        '3',
        '--mode',
        'hard',
        '--force',
      ],
      { doc, fetch },
    );
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain('level  3');
    expect(seen[0]).toMatchObject({
      method: 'POST',
      url: '/api/widgets/w1/frob?force=true',
      body: '{"level":3,"mode":"hard"}',
    });
    expect(seen[0]!.headers).toMatchObject({
      'x-client': 'cli',
      'x-actor': 'tester',
      'content-type': 'application/json',
    });
  });

  it('rejects a value outside the schema’s choices as a usage error', async () => {
    const r = await runInProcess(
      ['--json', '--url', url, 'widgets', 'frob', 'w1', '--level', '3', '--mode', 'wild'],
      { doc, fetch },
    );
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({
      error: { code: 'usage', message: expect.stringMatching(/--mode/) },
    });
  });
});
