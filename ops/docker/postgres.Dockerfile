# PostgreSQL 15 from Debian bookworm's archive, so the stack builds where no registry image can be pulled.
FROM debian:bookworm
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-15 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/postgresql/data /var/run/postgresql && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
COPY ops/docker/pg-entrypoint.sh /usr/local/bin/pg-entrypoint.sh
USER postgres
ENV PATH=/usr/lib/postgresql/15/bin:$PATH
EXPOSE 5432
HEALTHCHECK --interval=2s --timeout=3s --retries=30 CMD pg_isready -h 127.0.0.1 -U postgres || exit 1
ENTRYPOINT ["/usr/local/bin/pg-entrypoint.sh"]
