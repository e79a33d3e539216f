import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SseClient } from '../helpers/sse';
import { launch, newDataDir, type Launched } from '../helpers/stack';

jest.setTimeout(240_000);

const ROOT = path.resolve(__dirname, '../..');
const run = (args: string[]) =>
  execFileSync(process.execPath, ['--import', 'tsx', 'ops/tools/backup.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
  });

interface Detail {
  session: { id: string; title: string | null };
  turns: { id: string; status: string }[];
}

async function completedTurn(stack: Launched, sessionId: string, text: string): Promise<string> {
  const stream = new SseClient(`${stack.url}/api/stream?threads=${sessionId}&after=0`);
  try {
    const sent = await stack.api<{ turn: { id: string } }>('POST', `/api/sessions/${sessionId}/messages`, {
      text,
    });
    await stream.waitFor(
      (c) => c.events.some((e) => e.turnId === sent.body.turn.id && e.type === 'runtime.turn.completed'),
      60_000,
      'turn/completed',
    );
    return sent.body.turn.id;
  } finally {
    await stream.close();
  }
}

describe('the backup and restore runbook (embedded PostgreSQL)', () => {
  it('brings back sessions, turns, the event log and the runtime threads after the data is lost', async () => {
    const dataDir = newDataDir('backup');
    const archive = path.join(path.dirname(dataDir), `${path.basename(dataDir)}.tar.gz`);
    let stack = await launch('backup', { dataDir });
    let sessionId: string;
    let turnId: string;
    let head: number;
    try {
      sessionId = (
        await stack.api<{ session: { id: string } }>('POST', '/api/sessions', { title: 'keep me' })
      ).body.session.id;
      turnId = await completedTurn(stack, sessionId, 'scn:text');
      head = (await stack.api<{ eventLog: { head: number } }>('GET', '/api/health')).body.eventLog.head;
      // A backup of a running stack is refused.
      expect(() => run(['backup', '--data-dir', dataDir, '--out', archive])).toThrow();
    } finally {
      await stack.stop();
    }

    expect(run(['backup', '--data-dir', dataDir, '--out', archive])).toContain(
      'backed up pg, pg.password, codex-home-demo',
    );
    fs.rmSync(dataDir, { recursive: true, force: true });
    expect(run(['restore', archive, '--data-dir', dataDir])).toContain('restored');
    // Restoring over existing data needs --force and keeps what it replaces.
    expect(() => run(['restore', archive, '--data-dir', dataDir])).toThrow();

    stack = await launch('backup', { dataDir });
    try {
      const detail = await stack.api<Detail>('GET', `/api/sessions/${sessionId}`);
      expect(detail.status).toBe(200);
      expect(detail.body.session.title).toBe('keep me');
      expect(detail.body.turns).toEqual([expect.objectContaining({ id: turnId, status: 'completed' })]);
      const events = new SseClient(`${stack.url}/api/stream?after=0`);
      await events.waitFor((c) => c.events.length >= head, 10_000, 'the restored event log');
      await events.close();
      expect(events.events.slice(0, head).map((e) => e.seq)).toEqual(
        Array.from({ length: head }, (_, i) => i + 1),
      );
      // The runtime's own thread storage came back too: the thread takes another turn.
      await completedTurn(stack, sessionId, 'scn:text');
    } finally {
      await stack.stop();
      fs.rmSync(archive, { force: true });
    }
  });
});
