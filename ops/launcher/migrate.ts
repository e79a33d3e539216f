import { createPool, loadConfig, migrate } from '@codex-manager/core';

/** `npm run migrate`: applies pending migrations to DATABASE_URL. */
async function main(): Promise<void> {
  const { config } = loadConfig({ argv: process.argv.slice(2) });
  if (!config.databaseUrl) throw new Error('DATABASE_URL is not set');
  const pool = createPool(config.databaseUrl, { max: 1 });
  try {
    const applied = await migrate(pool);
    console.log(applied.length > 0 ? `applied ${applied.join(', ')}` : 'up to date');
  } finally {
    await pool.end();
  }
}

main().catch((e) => {
  console.error((e as Error).message);
  process.exit(1);
});
