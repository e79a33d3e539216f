import globalSetup from '../global-setup';
import globalTeardown from '../global-teardown';
import { createTestDatabase } from './db';

/**
 * A test database for test runners outside jest (the Python SDK's pytest session), provided exactly
 * as jest provides one: the same server (DATABASE_URL, else Testcontainers, else embedded PostgreSQL
 * under .data/test/pg) and a database cloned from the migrated template.
 *
 * Prints one JSON line `{"url": ...}` once the database exists, then holds it until its stdin closes
 * (or SIGTERM/SIGINT), drops it and stops the server it started. Run it through tsx:
 * `node --import tsx test/helpers/db-server.ts <label>`.
 */
async function main(): Promise<void> {
  const label = process.argv[2] ?? 'external';
  await globalSetup();
  const db = await createTestDatabase(label);
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    await db.drop().catch((e: Error) => console.error(`dropping ${label}: ${e.message}`));
    await globalTeardown();
    process.exit(0);
  };
  process.stdin.on('end', () => void release());
  process.stdin.on('error', () => void release());
  process.on('SIGTERM', () => void release());
  process.on('SIGINT', () => void release());
  process.stdin.resume();
  process.stdout.write(`${JSON.stringify({ url: db.url })}\n`);
}

main().catch((e: Error) => {
  console.error(e.stack ?? String(e));
  process.exit(1);
});
