import fs from 'node:fs';
import path from 'node:path';
import { startStack, type Stack } from '../../../test/helpers/stack';
import { Cli, Interactive } from '../helpers/cmgr';

/**
 * `cmgr inbox` against the whole stack: `watch` sees an approval raised by the runtime arrive and
 * leave, `list` shows it, `decide` answers it; a failed turn is dismissed; errors come back as the
 * API's documents with the exit code of their class; `watch --after` resumes without a gap.
 */
jest.setTimeout(240_000);

interface Item {
  id: string;
  kind: string;
  title: string;
  requestId: string | null;
  sessionId: string | null;
}
interface Envelope {
  seq: number;
  type: string;
  data: { item?: Item; id?: string; reason?: string; actor?: string };
}

let stack: Stack;
let cli: Cli;
let dirs = 0;
beforeAll(async () => {
  stack = await startStack('cli_inbox');
  cli = new Cli({ CM_URL: stack.url });
});
afterAll(async () => {
  cli?.cleanup();
  await stack?.stop();
});

async function session(): Promise<string> {
  const cwd = path.join(stack.dataDir, `cli-inbox-${++dirs}`);
  fs.mkdirSync(cwd, { recursive: true });
  const r = await cli.run(['--json', 'sessions', 'create', '--cwd', cwd, '--approval-policy', 'untrusted']);
  expect(r.code).toBe(0);
  return r.json<{ session: { id: string } }>().session.id;
}

const events = (w: Interactive) =>
  w.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Envelope);

it('watches an approval arrive, lists it, decides it, and sees it leave', async () => {
  const id = await session();
  const watch = new Interactive(cli, ['--json', 'inbox', 'watch', '--session', id, '--limit', '2']);
  await watch.waitFor(() => watch.stderr.includes('watching the inbox'), 'the subscription', 60_000);
  const sent = await cli.run(['--json', 'sessions', 'send-message', id, '--text', 'scn:exec']);
  expect(sent.code).toBe(0);
  await watch.waitFor(() => events(watch).some((e) => e.type === 'inbox.added'), 'inbox.added', 120_000);
  const item = events(watch).find((e) => e.type === 'inbox.added')!.data.item!;
  expect(item).toMatchObject({ kind: 'approval', sessionId: id });
  expect(item.id).toBe(`request:${item.requestId}`);

  const table = await cli.run(['inbox', 'list', '--session', id]);
  expect(table.code).toBe(0);
  expect(table.stdout).toMatch(/KIND\s+TITLE\s+SESSION\s+AGE\s+ID/);
  expect(table.stdout).toContain(item.id);
  expect(table.stdout).toMatch(/^1 open: 1 approval$/m);
  const json = await cli.run(['--json', 'inbox', 'list', '--session', id, '--kind', 'approval']);
  expect(json.json<{ items: Item[]; counts: { total: number } }>()).toMatchObject({
    items: [{ id: item.id }],
    counts: { total: 1 },
  });

  const decided = await cli.run(['--actor', 'carol', 'inbox', 'decide', item.id, 'accept']);
  expect(decided).toMatchObject({ code: 0 });
  expect(decided.stdout).toContain(`✓ accept request ${item.requestId}`);
  const done = await watch.done;
  expect(done.code).toBe(0);
  expect(events(watch).map((e) => e.type)).toEqual(['inbox.added', 'inbox.removed']);
  expect(events(watch)[1]!.data).toMatchObject({ id: item.id, reason: 'resolved', actor: 'carol' });
  const resume = /resume with: cmgr inbox watch --after (\d+) --session/.exec(done.stderr);
  expect(resume).not.toBeNull();

  // Deciding it again differently is a conflict (exit 4), as the API's error document.
  const again = await cli.run(['--json', 'inbox', 'decide', item.id, 'decline']);
  expect(again.code).toBe(4);
  expect(again.json()).toMatchObject({ error: { code: 'conflict' } });
  expect((await cli.run(['--json', 'inbox', 'list', '--session', id])).json()).toMatchObject({ items: [] });

  // The history from before the resume point is not replayed; from 0 it is, in order.
  const replay = await cli.run(['--json', 'inbox', 'watch', '--session', id, '--after', '0', '--limit', '2']);
  expect(replay.lines<Envelope>().map((e) => e.type)).toEqual(['inbox.added', 'inbox.removed']);
});

it('dismisses a failed turn, and answers bad input with the right exit code', async () => {
  const id = await session();
  const sent = await cli.run(['--json', 'sessions', 'send-message', id, '--text', 'scn:failed']);
  expect(sent.code).toBe(0);
  const turnId = sent.json<{ turn: { id: string } }>().turn.id;
  const itemId = `turn:${id}:${turnId}`;
  const seen = await cli.run(
    ['--json', 'inbox', 'watch', '--session', id, '--kind', 'failedTurn', '--after', '0', '--limit', '1'],
    { timeoutMs: 120_000 },
  );
  expect(seen.lines<Envelope>()[0]!.data.item).toMatchObject({ id: itemId, kind: 'failedTurn' });

  const dismissed = await cli.run(['inbox', 'dismiss', itemId]);
  expect(dismissed).toMatchObject({ code: 0 });
  expect(dismissed.stdout).toContain(`✓ dismissed ${itemId}`);
  expect((await cli.run(['inbox', 'dismiss', itemId])).stdout).toContain('(already so)');

  const unknown = await cli.run(['--json', 'inbox', 'dismiss', 'turn:no:such']);
  expect(unknown.code).toBe(3);
  expect(unknown.json()).toMatchObject({ error: { code: 'not_found' } });
  const badCursor = await cli.run(['--json', 'inbox', 'list', '--cursor', 'garbage']);
  expect(badCursor.code).toBe(2);
  expect(badCursor.json()).toMatchObject({ error: { code: 'invalid_request' } });
  const badKind = await cli.run(['--json', 'inbox', 'list', '--kind', 'nope']);
  expect(badKind.code).toBe(2);
  expect(badKind.json()).toMatchObject({ error: { code: 'usage' } });
  const notRequest = await cli.run(['--json', 'inbox', 'decide', itemId, 'accept']);
  expect(notRequest.code).toBe(2);

  // Usage of a completed turn, as a readable table (the failed turn above used no tokens).
  expect((await cli.run(['chat', id, 'scn:text hello'])).code).toBe(0);
  const deadline = Date.now() + 60_000;
  let usage = await cli.run(['--json', 'usage', 'get', '--group-by', 'session', '--session-id', id]);
  while (usage.json<{ rows: unknown[] }>().rows.length === 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    usage = await cli.run(['--json', 'usage', 'get', '--group-by', 'session', '--session-id', id]);
  }
  usage = await cli.run(['usage', 'get', '--group-by', 'session', '--session-id', id]);
  expect(usage.code).toBe(0);
  expect(usage.stdout).toMatch(/SESSION\s+TURNS\s+INPUT\s+CACHED\s+OUTPUT\s+TOTAL\s+COST/);
  expect(usage.stdout).toMatch(/^total: \d+ input/m);
  expect(usage.stdout).toMatch(/^rate limits?/m);
});

it('answers a question item at the prompt, and the turn goes on with the answer', async () => {
  const id = await session();
  const sent = await cli.run([
    '--json',
    'sessions',
    'send-message',
    id,
    '--text',
    'scn:ask which color',
    '--collaboration-mode',
    'plan',
  ]);
  expect(sent.code).toBe(0);
  const turnId = sent.json<{ turn: { id: string } }>().turn.id;
  const seen = await cli.run(
    ['--json', 'inbox', 'watch', '--session', id, '--kind', 'question', '--after', '0', '--limit', '1'],
    { timeoutMs: 120_000 },
  );
  const item = seen.lines<Envelope>()[0]!.data.item!;
  expect(item).toMatchObject({ kind: 'question', sessionId: id });

  const answered = await cli.run(['inbox', 'answer', item.id], { input: '2\n' });
  expect(answered.stderr).toMatch(/Which color should I use\?/);
  expect(answered.stderr).toMatch(/2\) Blue/);
  expect(answered).toMatchObject({ code: 0 });
  expect(answered.stdout).toContain(`✓ answered request ${item.requestId}`);
  const left = await cli.run(['--json', 'inbox', 'watch', '--session', id, '--after', '0', '--limit', '2'], {
    timeoutMs: 120_000,
  });
  expect(left.lines<Envelope>()[1]!.data).toMatchObject({ id: item.id, reason: 'resolved' });
  const end = await cli.run(
    ['--json', 'stream', '--thread', id, '--type', 'runtime.turn.completed', '--after', '0', '--limit', '1'],
    { timeoutMs: 120_000 },
  );
  const [completed] = end.lines<{ turnId: string; data: { params: { turn: { status: string } } } }>();
  expect(completed).toMatchObject({ turnId, data: { params: { turn: { status: 'completed' } } } });
});

it('retries a failed job from the inbox: its item leaves and the job is queued again', async () => {
  const enqueued = await cli.run([
    '--json',
    'jobs',
    'enqueue',
    '--type',
    'instruction',
    '--payload',
    JSON.stringify({ owner: 'cli-inbox', agent: 'broken', instruction: 'scn:http400' }),
  ]);
  expect(enqueued.code).toBe(0);
  const jobId = enqueued.json<{ job: { id: string } }>().job.id;
  const seen = await cli.run(
    ['--json', 'inbox', 'watch', '--kind', 'failedJob', '--after', '0', '--limit', '1'],
    { timeoutMs: 180_000 },
  );
  expect(seen.lines<Envelope>()[0]!.data.item).toMatchObject({ id: `job:${jobId}`, kind: 'failedJob' });
  const listed = await cli.run(['inbox', 'ls', '--kind', 'failedJob']);
  expect(listed.stdout).toContain(`job:${jobId}`);
  expect(listed.stdout).toMatch(/failedJob\s+Job /);

  const wrong = await cli.run(['--json', 'inbox', 'retry', `turn:x:y`]);
  expect(wrong.code).toBe(2);
  const retried = await cli.run(['inbox', 'retry', `job:${jobId}`]);
  expect(retried).toMatchObject({ code: 0 });
  expect(retried.stdout).toContain(`✓ retried job ${jobId}`);
  const left = await cli.run(
    [
      '--json',
      'inbox',
      'watch',
      '--kind',
      'failedJob',
      '--after',
      String(seen.lines<Envelope>()[0]!.seq),
      '--limit',
      '1',
    ],
    { timeoutMs: 120_000 },
  );
  expect(left.lines<Envelope>()[0]!.data).toMatchObject({ id: `job:${jobId}`, reason: 'retried' });
  // The job was queued again (it fails again here: the scripted model refuses every attempt).
  const again = await cli.run(['--json', 'stream', '--type', 'job.retried', '--after', '0', '--limit', '1'], {
    timeoutMs: 60_000,
  });
  expect(again.lines<{ data: { jobId: string } }>()[0]!.data.jobId).toBe(jobId);
});
