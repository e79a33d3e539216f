import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createPool, type Pool } from '../../services/core/src';
import { databaseUrl } from '../../ops/launcher/postgres';

const TEMPLATE_DB = 'cm_test_template';

export interface TestDatabase {
  url: string;
  pool: Pool;
  /** Drops the database (kept when the test file failed, for inspection, unless CI). */
  drop(): Promise<void>;
}

/** A database of this test file's own, cloned from the migrated template. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const adminUrl = process.env.CM_TEST_ADMIN_URL;
  if (!adminUrl)
    throw new Error('CM_TEST_ADMIN_URL is not set: run tests through jest (test/global-setup.ts)');
  const name = `cm_test_${label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, 30)}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${TEMPLATE_DB}"`);
  } finally {
    await admin.end();
  }
  const url = databaseUrl(adminUrl, name);
  const pool = createPool(url, { max: 20 });
  return {
    url,
    pool,
    async drop() {
      await pool.end();
      const a = new pg.Client({ connectionString: adminUrl });
      await a.connect();
      try {
        await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}
