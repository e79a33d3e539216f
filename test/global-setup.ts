import dns from 'node:dns/promises';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import pg from 'pg';
import { createPool, migrate } from '../services/core/src';
import { databaseUrl, ensureDatabase, startEmbeddedPostgres, type Database } from '../ops/launcher/postgres';

export const TEMPLATE_DB = 'cm_test_template';
const PG_IMAGE = 'postgres:16-alpine';

function imageIsLocal(image: string): Promise<boolean> {
  if (process.env.DOCKER_HOST) return Promise.resolve(true); // remote engine: let Testcontainers decide
  return new Promise((resolve) => {
    const req = http.get(
      { socketPath: '/var/run/docker.sock', path: `/images/${image}/json`, timeout: 2000 },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

const resolves = (host: string): Promise<boolean> =>
  dns.lookup(host).then(
    () => true,
    () => false,
  );
const ROOT = path.resolve(__dirname, '..');

declare global {
  var __cmTestDatabase: Database | undefined;
}

/**
 * Testcontainers, when a Docker engine answers and an image can be had; null (with a one-line
 * notice) otherwise, so the run falls back to embedded PostgreSQL instead of failing.
 */
async function tryTestcontainers(): Promise<Database | null> {
  const dockerAnswers = Boolean(process.env.DOCKER_HOST) || fs.existsSync('/var/run/docker.sock');
  if (!dockerAnswers) {
    console.log('test database: no Docker engine answers; using embedded PostgreSQL');
    return null;
  }
  // Without the image locally and without a registry to pull it from, Testcontainers cannot start
  // anything: say so at once instead of loading it (it keeps sockets open after failing).
  if (!(await imageIsLocal(PG_IMAGE)) && !(await resolves('registry-1.docker.io'))) {
    console.log(
      `test database: ${PG_IMAGE} is not local and no registry is reachable; using embedded PostgreSQL`,
    );
    return null;
  }
  try {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await Promise.race([
      new PostgreSqlContainer(PG_IMAGE).start(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out after 60 s')), 60_000)),
    ]);
    const url = new URL(container.getConnectionUri());
    url.pathname = '/postgres';
    return { adminUrl: url.toString(), embedded: false, stop: async () => void (await container.stop()) };
  } catch (e) {
    console.log(
      `test database: Testcontainers could not start PostgreSQL (${(e as Error).message.split('\n')[0]}); using embedded PostgreSQL`,
    );
    return null;
  }
}

/**
 * One PostgreSQL server for the whole run (DATABASE_URL, else Testcontainers, else embedded) and a
 * migrated template database; each test file clones its own database from the template.
 */
export default async function globalSetup(): Promise<void> {
  let db: Database | null = null;
  if (process.env.DATABASE_URL) {
    db = {
      adminUrl: databaseUrl(process.env.DATABASE_URL, 'postgres'),
      embedded: false,
      stop: async () => undefined,
    };
  } else {
    db = (await tryTestcontainers()) ?? (await startEmbeddedPostgres(path.join(ROOT, '.data', 'test', 'pg')));
  }
  globalThis.__cmTestDatabase = db;
  process.env.CM_TEST_ADMIN_URL = db.adminUrl;

  const admin = new pg.Client({ connectionString: db.adminUrl });
  await admin.connect();
  try {
    // Leftovers of an interrupted earlier run.
    const { rows } = await admin.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname LIKE 'cm_test_%'",
    );
    for (const r of rows) await admin.query(`DROP DATABASE IF EXISTS "${r.datname}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
  const templateUrl = await ensureDatabase(db.adminUrl, TEMPLATE_DB);
  const pool = createPool(templateUrl, { max: 1 });
  await migrate(pool).finally(() => pool.end());
}
