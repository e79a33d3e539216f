import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { AppServerClient } from '../../services/runtime-bridge/src/app-server/client';
import { resolveCodexBinary } from '../../services/runtime-bridge/src/app-server/codex-bin';
import type { RequestId } from '../../services/runtime-bridge/src/app-server/protocol';
import { scriptedConfigToml, writeScriptedCodexHome } from '../../services/runtime-bridge/src/codex-home';
import { latestUserText, planReply } from '../scripted-model/scenarios';
import { startScriptedModel, type ScriptedModel } from '../scripted-model/server';

// Drives the real codex app-server (one process for the whole file) against the scripted model and
// checks the sequences recorded in codex-app-server-0.169.md §3.

jest.setTimeout(30_000);

const REPO = path.resolve(__dirname, '../..');
const ROOT = path.join(REPO, '.data/test/scripted-model', `run-${process.pid}`);

/** Emitted around every model response or turn; not part of the flows under test. */
const NOISE = new Set([
  'thread/tokenUsage/updated',
  'account/rateLimits/updated',
  'thread/readState/changed',
  'warning',
]);

interface Entry {
  kind: 'notification' | 'request';
  method: string;
  params: Record<string, unknown>;
  id?: RequestId;
}

type Params = Record<string, unknown>;
type RequestHandler = (method: string, params: Params) => unknown;

let model: ScriptedModel;
let client: AppServerClient;
let exited: string | null = null;
const log: Entry[] = [];
const listeners = new Set<() => void>();
let onServerRequest: RequestHandler = () => undefined;

function threadOf(params: Params): unknown {
  return params.threadId ?? (params.thread as Params | undefined)?.id;
}

/** Resolves with the first entry from `from` on that matches; fails when app-server exits. */
function waitFor(pred: (e: Entry) => boolean, from = 0, timeoutMs = 15_000): Promise<Entry> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    const check = () => {
      if (exited) return done(new Error(`app-server exited: ${exited}`));
      const hit = log.slice(from).find(pred);
      if (hit) done(null, hit);
    };
    const done = (err: Error | null, hit?: Entry) => {
      clearTimeout(timer);
      listeners.delete(check);
      if (err) reject(err);
      else resolve(hit as Entry);
    };
    listeners.add(check);
    check();
  });
}

function record(e: Entry): void {
  log.push(e);
  for (const l of [...listeners]) l();
}

function freshDir(name: string): string {
  mkdirSync(ROOT, { recursive: true });
  return mkdtempSync(path.join(ROOT, `${name}-`));
}

interface TurnOptions {
  thread?: Params;
  turn?: Params;
  /** Continue this thread instead of starting a new one. */
  threadId?: string;
  onRequest?: RequestHandler;
  /** Called (synchronously) for every notification of the turn, e.g. to interrupt it. */
  onNotification?: (e: Entry, turnId: string) => void;
}

interface TurnRun {
  threadId: string;
  turnId: string;
  cwd: string;
  /** Everything for this thread, noise removed, in arrival order. */
  entries: Entry[];
  /** `R:` prefix marks server requests. */
  methods: string[];
  deltas: string[];
  completed: Params;
}

async function runTurn(text: string, opts: TurnOptions = {}): Promise<TurnRun> {
  const from = log.length;
  const cwd = freshDir(text.replace(/[^a-z0-9]+/gi, '_'));
  onServerRequest = opts.onRequest ?? (() => undefined);
  const threadId =
    opts.threadId ??
    (
      await client.request<{ thread: { id: string } }>('thread/start', {
        cwd,
        approvalPolicy: 'never',
        sandbox: 'read-only',
        ...opts.thread,
      })
    ).thread.id;
  const started = await client.request<{ turn: { id: string } }>('turn/start', {
    threadId,
    input: [{ type: 'text', text }],
    ...opts.turn,
  });
  const turnId = started.turn.id;
  const onNotification = opts.onNotification;
  const watch = onNotification
    ? () => {
        const e = log[log.length - 1];
        if (e && threadOf(e.params) === threadId) onNotification(e, turnId);
      }
    : null;
  if (watch) listeners.add(watch);
  try {
    const end = await waitFor(
      (e) => e.method === 'turn/completed' && (e.params.turn as Params).id === turnId,
      from,
    );
    const entries = log.slice(from).filter((e) => threadOf(e.params) === threadId && !NOISE.has(e.method));
    return {
      threadId,
      turnId,
      cwd,
      entries,
      methods: entries.map((e) => (e.kind === 'request' ? `R:${e.method}` : e.method)),
      deltas: entries
        .filter((e) => e.method === 'item/agentMessage/delta')
        .map((e) => e.params.delta as string),
      completed: end.params.turn as Params,
    };
  } finally {
    if (watch) listeners.delete(watch);
  }
}

/** Asserts `expected` occurs in `actual` in this order (other entries may sit in between). */
function expectInOrder(actual: string[], expected: string[]): void {
  let at = 0;
  for (const m of actual) if (m === expected[at]) at += 1;
  expect({ matched: expected.slice(0, at), missing: expected.slice(at), actual }).toMatchObject({
    missing: [],
  });
}

function item(run: TurnRun, method: string, type: string): Params[] {
  return run.entries
    .filter((e) => e.method === method && (e.params.item as Params).type === type)
    .map((e) => e.params.item as Params);
}

function finalText(run: TurnRun): string {
  const messages = item(run, 'item/completed', 'agentMessage');
  return messages[messages.length - 1]?.text as string;
}

const TURN_START = ['turn/started', 'item/started', 'item/completed'];
const TURN_END = ['thread/status/changed', 'turn/completed'];

beforeAll(async () => {
  model = await startScriptedModel();
  const codexHome = path.join(ROOT, 'codex-home');
  writeScriptedCodexHome(codexHome, model.url);
  const { bin, pathDir } = resolveCodexBinary();
  client = new AppServerClient({ bin, pathDir, codexHome, cwd: ROOT });
  client.on('notification', (method, params) => record({ kind: 'notification', method, params }));
  client.on('request', (id, method, params) => {
    record({ kind: 'request', id, method, params });
    const result = onServerRequest(method, params);
    if (result === undefined) client.respondError(id, -32000, `test did not expect ${method}`);
    else client.respond(id, result);
  });
  client.on('exit', (info) => {
    exited = `code ${info.code} signal ${info.signal}\n${info.stderrTail}`;
    for (const l of [...listeners]) l();
  });
  await client.start();
});

afterAll(async () => {
  await client?.stop();
  await model?.close();
  rmSync(ROOT, { recursive: true, force: true });
});

describe('scripted model driving the real codex app-server', () => {
  test('scn:text streams a reasoning summary and a message, then completes the turn', async () => {
    const run = await runTurn('scn:text');
    expect(run.methods).toEqual([
      'thread/started',
      'thread/status/changed',
      ...TURN_START,
      'item/started',
      'item/reasoning/summaryPartAdded',
      'item/reasoning/summaryTextDelta',
      'item/reasoning/summaryTextDelta',
      'item/reasoning/summaryTextDelta',
      'item/completed',
      'item/started',
      ...run.deltas.map(() => 'item/agentMessage/delta'),
      'item/completed',
      ...TURN_END,
    ]);
    expect(item(run, 'item/completed', 'reasoning')[0]?.summary).toEqual(['Thinking about it']);
    expect(run.deltas.length).toBeGreaterThan(1);
    expect(run.deltas.join('')).toBe('Hello from the scripted model.');
    expect(finalText(run)).toBe('Hello from the scripted model.');
    expect(run.completed).toMatchObject({ status: 'completed', error: null });
  });

  test('usage is deterministic: ceil(chars / 4) output tokens, summary counted as reasoning', async () => {
    const from = log.length;
    const run = await runTurn('scn:text');
    const usage = log
      .slice(from)
      .find((e) => e.method === 'thread/tokenUsage/updated' && e.params.threadId === run.threadId);
    // "Thinking about it" = 17 chars → 5, "Hello from the scripted model." = 30 chars → 8.
    expect((usage?.params.tokenUsage as Params).last).toMatchObject({
      outputTokens: 13,
      reasoningOutputTokens: 5,
      cachedInputTokens: 0,
    });
  });

  test('without a marker the reply echoes what the user said', async () => {
    const run = await runTurn('hello there');
    expect(finalText(run)).toContain('You said: "hello there"');
    expect(run.completed.status).toBe('completed');
  });

  test('scn:exec asks for command approval under untrusted; accepting runs it', async () => {
    const before = model.requestCount();
    const run = await runTurn('scn:exec', {
      thread: { approvalPolicy: 'untrusted', sandbox: 'workspace-write' },
      onRequest: (method) =>
        method === 'item/commandExecution/requestApproval' ? { decision: 'accept' } : undefined,
    });
    expectInOrder(run.methods, [
      'thread/status/changed',
      'item/started',
      'R:item/commandExecution/requestApproval',
      'serverRequest/resolved',
      'item/completed',
      'item/started',
      'item/completed',
      ...TURN_END,
    ]);
    const approval = run.entries.find((e) => e.kind === 'request')?.params;
    expect(approval).toMatchObject({ kind: 'command', command: "/bin/bash -c 'echo hi > out.txt'" });
    expect(item(run, 'item/completed', 'commandExecution')[0]).toMatchObject({
      status: 'completed',
      exitCode: 0,
    });
    expect(readFileSync(path.join(run.cwd, 'out.txt'), 'utf8')).toBe('hi\n');
    expect(finalText(run)).toMatch(/^Tool said: [\s\S]*Process exited with code 0/);
    expect(run.completed.status).toBe('completed');
    expect(model.requestCount() - before).toBe(2);
  });

  test('scn:patch asks for file-change approval; accepting writes patched.txt', async () => {
    const run = await runTurn('scn:patch', {
      thread: { approvalPolicy: 'untrusted', sandbox: 'read-only' },
      onRequest: (method) =>
        method === 'item/fileChange/requestApproval' ? { decision: 'accept' } : undefined,
    });
    expectInOrder(run.methods, [
      'item/started',
      'thread/status/changed',
      'R:item/fileChange/requestApproval',
      'serverRequest/resolved',
      'item/completed',
      'turn/diff/updated',
      'item/completed',
      ...TURN_END,
    ]);
    expect(item(run, 'item/started', 'fileChange')[0]?.changes).toEqual([
      expect.objectContaining({ path: path.join(run.cwd, 'patched.txt'), kind: { type: 'add' } }),
    ]);
    expect(existsSync(path.join(run.cwd, 'patched.txt'))).toBe(true);
    expect(finalText(run)).toContain('Success. Updated the following files:\nA patched.txt');
    expect(run.completed.status).toBe('completed');
  });

  test('scn:ask in plan mode asks the client; the answer reaches the model', async () => {
    const run = await runTurn('scn:ask', {
      turn: {
        collaborationMode: {
          mode: 'plan',
          settings: { model: 'mock-model', reasoning_effort: null, developer_instructions: null },
        },
      },
      onRequest: (method) =>
        method === 'item/tool/requestUserInput' ? { answers: { color: { answers: ['Blue'] } } } : undefined,
    });
    expectInOrder(run.methods, [
      'thread/status/changed',
      'R:item/tool/requestUserInput',
      'serverRequest/resolved',
      'thread/status/changed',
      'item/completed',
      ...TURN_END,
    ]);
    const ask = run.entries.find((e) => e.kind === 'request')?.params;
    expect(ask).toMatchObject({
      isBlocking: true,
      questions: [
        {
          id: 'color',
          header: 'Color',
          question: 'Which color should I use?',
          options: [{ label: 'Red (Recommended)' }, { label: 'Blue' }],
        },
      ],
    });
    expect(finalText(run)).toBe('Tool said: {"answers":{"color":{"answers":["Blue"]}}}');
    expect(run.completed.status).toBe('completed');
  });

  const tool = (name: string) => ({
    type: 'function',
    name,
    description: `${name} by id`,
    inputSchema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
  });
  const answerTool = (method: string, params: Params) =>
    method === 'item/tool/call'
      ? {
          contentItems: [{ type: 'inputText', text: `${params.tool as string}: T-42 is OPEN` }],
          success: true,
        }
      : undefined;

  test('scn:dyn calls the first dynamic tool; its answer appears in the final message', async () => {
    const run = await runTurn('scn:dyn', {
      thread: { dynamicTools: [tool('lookup_ticket'), tool('close_ticket')] },
      onRequest: answerTool,
    });
    expectInOrder(run.methods, [
      'item/started',
      'R:item/tool/call',
      'item/completed',
      'item/completed',
      ...TURN_END,
    ]);
    expect(run.entries.find((e) => e.kind === 'request')?.params).toMatchObject({
      tool: 'lookup_ticket',
      arguments: { id: 'T-42' },
    });
    expect(item(run, 'item/completed', 'dynamicToolCall')[0]).toMatchObject({
      status: 'completed',
      success: true,
    });
    expect(finalText(run)).toBe('Tool said: lookup_ticket: T-42 is OPEN');
  });

  test('scn:dyn:<name> calls the named dynamic tool', async () => {
    const run = await runTurn('scn:dyn:close_ticket', {
      thread: { dynamicTools: [tool('lookup_ticket'), tool('close_ticket')] },
      onRequest: answerTool,
    });
    expect(finalText(run)).toBe('Tool said: close_ticket: T-42 is OPEN');
  });

  const FAILURE = ['thread/status/changed', 'error', 'turn/completed'];

  test('scn:http500 fails the turn with internalServerError', async () => {
    const run = await runTurn('scn:http500');
    expect(run.methods).toEqual(['thread/started', 'thread/status/changed', ...TURN_START, ...FAILURE]);
    expect(run.entries.find((e) => e.method === 'error')?.params).toMatchObject({
      willRetry: false,
      error: { codexErrorInfo: 'internalServerError' },
    });
    expect(run.completed).toMatchObject({
      status: 'failed',
      error: { codexErrorInfo: 'internalServerError' },
    });
  });

  test('scn:http400 fails the turn with the response body as message', async () => {
    const run = await runTurn('scn:http400');
    expect(run.methods).toEqual(['thread/started', 'thread/status/changed', ...TURN_START, ...FAILURE]);
    expect(run.completed).toMatchObject({ status: 'failed', error: { codexErrorInfo: 'other' } });
    expect((run.completed.error as Params).message).toContain('scripted bad request');
  });

  test('scn:failed fails the turn from a response.failed event', async () => {
    const run = await runTurn('scn:failed');
    expect(run.methods).toEqual(['thread/started', 'thread/status/changed', ...TURN_START, ...FAILURE]);
    expect((run.completed.error as Params).message).toContain('scripted response.failed');
  });

  test('scn:drop fails the turn after one delta; the thread recovers on the next turn', async () => {
    const run = await runTurn('scn:drop');
    expect(run.methods).toEqual([
      'thread/started',
      'thread/status/changed',
      ...TURN_START,
      'item/started',
      'item/agentMessage/delta',
      ...FAILURE,
    ]);
    expect(run.deltas).toEqual(['Partial']);
    expect((run.completed.error as Params).message).toContain('stream closed before response.completed');

    const next = await runTurn('scn:text', { threadId: run.threadId });
    expect(next.completed.status).toBe('completed');
  });

  test('scn:slow streams ticks until turn/interrupt; the scripted model stops writing', async () => {
    let interrupted = false;
    const run = await runTurn('scn:slow:50x200', {
      onNotification: (e, turnId) => {
        if (e.method !== 'item/agentMessage/delta' || interrupted) return;
        interrupted = true;
        void client.request('turn/interrupt', { threadId: e.params.threadId, turnId });
      },
    });
    expect(run.completed).toMatchObject({ status: 'interrupted', error: null });
    expect(run.deltas).toEqual(['tick0 ']);
    expect(item(run, 'item/completed', 'agentMessage')).toEqual([]);

    const end = log.length;
    await new Promise((r) => setTimeout(r, 400));
    expect(log.slice(end).filter((e) => threadOf(e.params) === run.threadId && !NOISE.has(e.method))).toEqual(
      [],
    );
    expect(model.openStreams()).toBe(0);
  });

  test('scn:flood:500 delivers 500 one-character deltas in order', async () => {
    const run = await runTurn('scn:flood:500');
    expect(run.deltas).toHaveLength(500);
    expect(run.deltas.join('')).toBe(Array.from({ length: 500 }, (_, i) => String(i % 10)).join(''));
    expect(finalText(run)).toBe(run.deltas.join(''));
    expect(run.completed.status).toBe('completed');
  });
});

describe('scripted model request handling', () => {
  const user = (text: string) => ({ type: 'message', role: 'user', content: [{ type: 'input_text', text }] });
  const developer = (text: string) => ({
    type: 'message',
    role: 'developer',
    content: [{ type: 'input_text', text }],
  });

  test('markers are read only from user-authored text, never from injected context', () => {
    const input = [
      developer('scn:http500 in the instructions'),
      user('<environment_context>\n  <cwd>/x/scn:exec</cwd>\n</environment_context>'),
      user('please scn:flood:3 now'),
      user('<turn_aborted>scn:drop</turn_aborted>'),
    ];
    expect(latestUserText(input)).toBe('please scn:flood:3 now');
    expect(planReply({ input })).toMatchObject({ kind: 'stream', output: [{ deltas: ['0', '1', '2'] }] });
    // Only injected text: no scenario (the developer's scn:http500 included), just the greeting.
    expect(planReply({ input: input.slice(0, 2) })).toMatchObject({
      kind: 'stream',
      end: { type: 'completed' },
    });
  });

  test('scn:echo replies with the rest of the message; quoted lines never pick a scenario', () => {
    const text = (r: ReturnType<typeof planReply>) => {
      const message = r.kind === 'stream' ? r.output.find((o) => o.type === 'message') : undefined;
      return message?.type === 'message' ? message.deltas.join('') : null;
    };
    expect(text(planReply({ input: [user('scn:echo {"a": 1}\nsecond line')] }))).toBe(
      '{"a": 1}\nsecond line',
    );
    expect(text(planReply({ input: [user('scn:echo')] }))).toBe('NONE');
    const quoting = planReply({ input: [user('Suggest the next request.\n> scn:exec\n> scn:http500')] });
    expect(quoting.kind).toBe('stream');
    expect(text(quoting)).toMatch(/^Hi! You said/);
  });

  test('an unknown scenario names the known ones', () => {
    const reply = planReply({ input: [user('scn:nope')] });
    expect(
      reply.kind === 'stream' && reply.output[0]?.type === 'message' && reply.output[0].deltas.join(''),
    ).toMatch(/^Unknown scenario scn:nope\. Known: text, exec, patch/);
  });

  test('GET /health is 200, unknown routes 404 JSON, non-streaming requests 400', async () => {
    const base = model.url.replace(/\/v1$/, '');
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const missing = await fetch(`${base}/v1/models`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { message: expect.any(String) } });
    const unstreamed = await fetch(`${model.url}/responses`, { method: 'POST', body: '{"input":[]}' });
    expect(unstreamed.status).toBe(400);
  });

  test('the codex config selects the scripted provider without auth or retries', () => {
    const toml = scriptedConfigToml('http://127.0.0.1:1234/v1');
    expect(toml).toContain('model = "mock-model"');
    expect(toml).toContain('base_url = "http://127.0.0.1:1234/v1"');
    expect(toml).toMatch(/request_max_retries = 0\nstream_max_retries = 0/);
  });

  test('the CLI prints its URL as one JSON line and exits on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'ops/scripted-model/main.ts', '--port', '0'], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const line = await new Promise<string>((r) =>
      readline.createInterface({ input: child.stdout }).once('line', r),
    );
    const { url } = JSON.parse(line) as { url: string };
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    expect((await fetch(url.replace(/\/v1$/, '/health'))).status).toBe(200);
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  });
});
