#!/bin/sh
# PostgreSQL for the compose stack, from Debian's package (no registry image needed): initialises
# the volume once with a password from POSTGRES_PASSWORD, then runs the server in the foreground.
set -eu
PGDATA=/var/lib/postgresql/data
BIN=$(ls -d /usr/lib/postgresql/*/bin | tail -n 1)
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pw=$(mktemp) && printf '%s\n' "$POSTGRES_PASSWORD" > "$pw"
  "$BIN/initdb" -D "$PGDATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 --pwfile="$pw" >/dev/null
  rm -f "$pw"
  echo "host all all 0.0.0.0/0 scram-sha-256" >> "$PGDATA/pg_hba.conf"
  "$BIN/pg_ctl" -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
  psql -U postgres -v ON_ERROR_STOP=1 -c "CREATE DATABASE ${POSTGRES_DB:-codex_manager}" >/dev/null
  "$BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
fi
exec "$BIN/postgres" -D "$PGDATA" -c listen_addresses='*'
