import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
export const WEB_DIR = path.join(ROOT, 'web');
const SOURCES = ['src', 'index.html', 'vite.config.ts', 'package.json'];

function newestMtime(p: string): number {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of fs.readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, name)));
  return newest;
}

/**
 * Why the dashboard needs a build, or null when `web/dist` is newer than every source. An image
 * that ships only `web/dist` (no sources) never needs one.
 */
export function webBuildReason(webDir = WEB_DIR): string | null {
  const sources = Math.max(...SOURCES.map((s) => newestMtime(path.join(webDir, s))));
  if (sources === 0) return null;
  const built = newestMtime(path.join(webDir, 'dist', 'index.html'));
  if (built === 0) return 'it has not been built yet';
  if (sources > built) return 'its sources changed since the last build';
  return null;
}

/**
 * Builds the dashboard when it is missing or stale, so `npm install && npm start` shows it. Vite
 * writes to a fresh directory that then replaces `web/dist` by rename, so a gateway serving the old
 * build never sees a half-written one. Resolves false (with the reason) when it cannot build, e.g.
 * an install without dev dependencies; the gateway then serves a page saying how to build.
 */
export async function ensureWebBuilt(say: (line: string) => void, webDir = WEB_DIR): Promise<boolean> {
  const reason = webBuildReason(webDir);
  if (!reason) return true;
  let vite: string;
  try {
    // vite's exports do not include its bin: find it through its package.json.
    const pkg = require.resolve('vite/package.json', { paths: [webDir] });
    const { bin } = JSON.parse(fs.readFileSync(pkg, 'utf8')) as { bin: { vite: string } };
    vite = path.join(path.dirname(pkg), bin.vite);
  } catch {
    say(`the web dashboard needs a build (${reason}) but vite is not installed: run npm install`);
    return false;
  }
  say(`building the web dashboard (${reason})…`);
  const started = Date.now();
  const out = `dist.tmp-${process.pid}-${Date.now()}`;
  const log: string[] = [];
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, [vite, 'build', '--outDir', out, '--logLevel', 'warn'], {
      cwd: webDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_ENV: 'production' },
    });
    child.stdout.on('data', (d: Buffer) => log.push(d.toString()));
    child.stderr.on('data', (d: Buffer) => log.push(d.toString()));
    child.on('error', () => resolve(1));
    child.on('exit', (c) => resolve(c ?? 1));
  });
  const tmp = path.join(webDir, out);
  if (code !== 0) {
    fs.rmSync(tmp, { recursive: true, force: true });
    say(`the web dashboard failed to build:\n${log.join('').trim()}`);
    return false;
  }
  const dist = path.join(webDir, 'dist');
  const old = `${dist}.old-${process.pid}-${Date.now()}`;
  if (fs.existsSync(dist)) fs.renameSync(dist, old);
  fs.renameSync(tmp, dist);
  fs.rmSync(old, { recursive: true, force: true });
  say(`built the web dashboard in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return true;
}
