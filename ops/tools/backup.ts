import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

/**
 * Cold backup and restore of a local installation (`npm start` with embedded PostgreSQL):
 *
 *   npm run backup  -- [--data-dir .data] [--out FILE]
 *   npm run restore -- FILE [--data-dir .data] [--force]
 *
 * The archive holds the database cluster (`pg/` and its password) and the demo CODEX_HOME when there
 * is one, so sessions and the runtime's own thread storage come back together. Both refuse to run
 * while the stack is up: the embedded server ships no pg_dump, and a copy of a live cluster is not a
 * backup. With DATABASE_URL (compose or your own server) use pg_dump/pg_restore instead; see
 * docs/operations/backup-restore.md.
 */
const PARTS = ['pg', 'pg.password', 'codex-home-demo', 'demo-workspace'];

function fail(msg: string): never {
  console.error(msg);
  process.exit(1);
}

function stackRunning(dataDir: string): number | null {
  const pidFile = path.join(dataDir, 'pg', 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return null;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

function tar(args: string[]): void {
  const r = spawnSync('tar', args, { stdio: 'inherit' });
  if (r.status !== 0) fail(`tar ${args.join(' ')} failed`);
}

function backup(dataDir: string, out: string | undefined): void {
  const parts = PARTS.filter((p) => fs.existsSync(path.join(dataDir, p)));
  if (!parts.includes('pg'))
    fail(`no database in ${dataDir}/pg: nothing to back up (with DATABASE_URL use pg_dump)`);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = path.resolve(out ?? `codex-manager-backup-${stamp}.tar.gz`);
  tar(['-czf', file, '-C', dataDir, ...parts]);
  console.log(
    `backed up ${parts.join(', ')} from ${dataDir} to ${file} (${(fs.statSync(file).size / 1e6).toFixed(1)} MB)`,
  );
}

function restore(dataDir: string, file: string, force: boolean): void {
  if (!fs.existsSync(file)) fail(`no such backup: ${file}`);
  const existing = PARTS.filter((p) => fs.existsSync(path.join(dataDir, p)));
  if (existing.length > 0 && !force) {
    fail(`${dataDir} already holds ${existing.join(', ')}; pass --force to move them aside and restore`);
  }
  fs.mkdirSync(dataDir, { recursive: true });
  if (existing.length > 0) {
    const aside = path.join(dataDir, `replaced-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    fs.mkdirSync(aside);
    for (const p of existing) fs.renameSync(path.join(dataDir, p), path.join(aside, p));
    console.log(`moved the current ${existing.join(', ')} to ${aside}`);
  }
  tar(['-xzf', path.resolve(file), '-C', dataDir]);
  // The cluster directory must belong to the user PostgreSQL runs as (see ops/launcher/postgres.ts).
  const owner = fs.statSync(path.join(dataDir, 'pg'));
  console.log(`restored ${file} into ${dataDir} (database owned by uid ${owner.uid}); start with npm start`);
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      'data-dir': { type: 'string', default: process.env.CM_DATA_DIR ?? '.data' },
      out: { type: 'string' },
      force: { type: 'boolean', default: false },
    },
  });
  const [command, file] = positionals;
  const dataDir = path.resolve(values['data-dir']!);
  const pid = stackRunning(dataDir);
  if (pid !== null)
    fail(`the stack is running (PostgreSQL pid ${pid}): stop it with Ctrl-C, then run this again`);
  if (command === 'backup') backup(dataDir, values.out);
  else if (command === 'restore' && file) restore(dataDir, file, values.force!);
  else fail('usage: backup.ts backup [--out FILE] | restore FILE [--force]  [--data-dir DIR]');
}

main();
