import { spawn } from 'node:child_process';
import path from 'node:path';

jest.setTimeout(60_000);
const ROOT = path.resolve(__dirname, '../../..');

// A service started by a launcher that dies before the service is up (its database unreachable, as
// when the launcher took its embedded PostgreSQL with it) exits on its own instead of waiting
// forever. A real service process; the "launcher" is a process that ends on its own.
test('a service whose launcher is gone before it started exits', async () => {
  const launcher = spawn('sleep', ['3']);
  const launcherGone = new Promise((r) => launcher.once('exit', r));
  const service = spawn(process.execPath, ['--import', 'tsx', 'services/queue-worker/src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: 'postgres://nobody:nothing@127.0.0.1:1/none', // refused: startup keeps retrying
      CM_PARENT_PID: String(launcher.pid),
      CM_LOG_LEVEL: 'silent',
    },
    stdio: 'ignore',
  });
  const exited = new Promise<number | null>((r) => service.once('exit', (code) => r(code)));
  let alive = true;
  void exited.then(() => (alive = false));
  let timer: NodeJS.Timeout | undefined;
  try {
    await launcherGone;
    expect(alive).toBe(true); // still waiting for its database while the launcher lived
    const code = await Promise.race([
      exited,
      new Promise((r) => (timer = setTimeout(() => r('still running'), 20_000))),
    ]);
    expect(code).toBe(1);
  } finally {
    clearTimeout(timer);
    service.kill('SIGKILL');
  }
});
