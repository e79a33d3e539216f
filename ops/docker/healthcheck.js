// Container health: this container's own service instance wrote a fresh heartbeat. Plain JS so the
// check starts fast; `node ops/docker/healthcheck.js <service>`.
const os = require('node:os');
const { Client } = require('pg');

const service = process.argv[2];
const staleMs = Number(process.env.CM_HEARTBEAT_STALE_MS || 10000);
const client = new Client({ connectionString: process.env.DATABASE_URL, connectionTimeoutMillis: 3000 });
client
  .connect()
  .then(() =>
    client.query(
      `SELECT 1 FROM service_heartbeats WHERE service = $1 AND host = $2 AND status = 'running'
         AND beat_at > now() - make_interval(secs => $3::double precision / 1000)`,
      [service, os.hostname(), staleMs],
    ),
  )
  .then((r) => process.exit(r.rowCount > 0 ? 0 : 1))
  .catch(() => process.exit(1));
