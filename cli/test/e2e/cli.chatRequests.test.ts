import fs from 'node:fs';
import path from 'node:path';
import { loadDocument, operationsOf } from '../../src/api/openapi';
import { startStack, type Stack } from '../../../test/helpers/stack';
import { Cli, Interactive } from '../helpers/cmgr';

/**
 * `cmgr chat` answering the runtime's requests inline, against the whole stack: an approval typed at
 * the prompt, one decided by policy, one decided by another client while the chat asks, a question.
 * Needs the interactive-request routes (approvals, tool-input); runs once they are in the API.
 */
jest.setTimeout(240_000);

const ops = new Map(operationsOf(loadDocument()).map((o) => [o.id, o]));
const enabled = ops.has('approvals.decide') && ops.has('approvals.list');
// Plan mode makes the runtime ask questions: `collaborationMode` is either a preset name or an object.
const modeSchema = ops.get('sessions.sendMessage')?.body?.schema.properties?.collaborationMode;
const planArg = !modeSchema
  ? null
  : modeSchema.enum?.includes('plan')
    ? 'plan'
    : JSON.stringify({
        mode: 'plan',
        settings: { model: 'mock-model', reasoning_effort: null, developer_instructions: null },
      });

(enabled ? describe : describe.skip)('chat with approvals and questions', () => {
  let stack: Stack;
  let cli: Cli;
  let dirs = 0;
  beforeAll(async () => {
    stack = await startStack('cli_chat_requests');
    cli = new Cli({ CM_URL: stack.url });
  });
  afterAll(async () => {
    cli?.cleanup();
    await stack?.stop();
  });

  async function session(): Promise<{ id: string; cwd: string }> {
    const cwd = path.join(stack.dataDir, `cli-ws-${++dirs}`);
    fs.mkdirSync(cwd, { recursive: true });
    const r = await cli.run([
      '--json',
      'sessions',
      'create',
      '--cwd',
      cwd,
      '--approval-policy',
      'untrusted',
      '--sandbox',
      'workspace-write',
    ]);
    expect(r.code).toBe(0);
    return { id: r.json<{ session: { id: string } }>().session.id, cwd };
  }

  it('asks for an approval inline and carries the typed decision to the runtime', async () => {
    const s = await session();
    const r = await cli.run(['chat', s.id, 'scn:exec please write the file'], { input: 'a\n' });
    expect(r.stderr).toContain('approval needed: run a command');
    expect(r.stderr).toMatch(/\[a\] accept/);
    expect(r.stderr).toContain('✓ accept');
    expect(r.code).toBe(0);
    expect(fs.readFileSync(path.join(s.cwd, 'out.txt'), 'utf8')).toBe('hi\n');
    const decided = await cli.run(['--json', 'approvals', 'list', s.id, '--status', 'all']);
    expect(decided.json<{ requests: { decision: string }[] }>().requests).toEqual([
      expect.objectContaining({ decision: 'accept', status: 'resolved' }),
    ]);
  });

  it('decides by --on-approval without asking', async () => {
    const s = await session();
    const r = await cli.run(['chat', s.id, 'scn:exec please write the file', '--on-approval', 'decline']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('✓ decline');
    expect(fs.existsSync(path.join(s.cwd, 'out.txt'))).toBe(false);
  });

  it('withdraws the question when another client decides, and finishes the turn', async () => {
    const s = await session();
    const chat = new Interactive(cli, ['chat', s.id, 'scn:exec please write the file']);
    await chat.waitFor(() => chat.stderr.includes('decision>'), 'the approval prompt', 120_000);
    const pending = await cli.run(['--json', 'approvals', 'list', s.id]);
    const [request] = pending.json<{ requests: { id: string }[] }>().requests;
    const decide = await cli.run([
      '--actor',
      'bob',
      'approvals',
      'decide',
      request!.id,
      '--decision',
      'accept',
    ]);
    expect(decide.code).toBe(0);
    const r = await chat.done;
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`request ${request!.id} resolved: accept by bob`));
    expect(fs.existsSync(path.join(s.cwd, 'out.txt'))).toBe(true);
    const again = await cli.run(['--json', 'approvals', 'decide', request!.id, '--decision', 'decline']);
    expect(again.code).toBe(4);
  });

  (planArg ? it : it.skip)(
    'asks the runtime’s question with its options and sends the chosen one',
    async () => {
      const s = await session();
      const r = await cli.run(['chat', s.id, 'scn:ask which color', '--collaboration-mode', planArg!], {
        input: '2\n',
      });
      expect(r.stderr).toMatch(/question \(Color\): Which color should I use\?/);
      expect(r.stderr).toMatch(/2\) Blue/);
      expect(r.stderr).toContain('✓ answered');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Blue');
    },
  );
});
