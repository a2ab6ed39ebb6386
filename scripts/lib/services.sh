# PostgreSQL and Redis for the test suite, from Debian packages, started once and reused.
# Sourced after common.sh. Binds to 127.0.0.1 only; data lives under /tmp (the postgres user
# must be able to reach it, which a checkout under /root may not allow).

SERVICES_DIR="${ZK_SERVICES_DIR:-/tmp/zhelikit-services}"
# Below Linux's ephemeral range (32768–60999): a port in it can be taken, for a moment, by any
# outgoing connection's source port, and the outage tests restart PostgreSQL on this port while
# the suite makes thousands of connections (seen: "could not bind … Address already in use").
PG_PORT="${ZK_PG_PORT:-25432}"
REDIS_PORT="${ZK_REDIS_PORT:-26379}"

pg_bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }; done
  return 1
}

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  pg_bindir >/dev/null || apt_install postgresql
  local bin; bin="$(pg_bindir)" || die "PostgreSQL binaries not found after install"
  local data="$SERVICES_DIR/pg"
  mkdir -p "$SERVICES_DIR"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$SERVICES_DIR" 2>/dev/null || true
  chmod 755 "$SERVICES_DIR" 2>/dev/null || true
  if [ ! -f "$data/PG_VERSION" ]; then
    log "initialising PostgreSQL in $data"
    as_postgres "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 >/dev/null
  fi
  if ! as_postgres "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
    as_postgres "$bin/pg_ctl" -D "$data" -l "$SERVICES_DIR/pg.log" -w -t 60 \
      -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $SERVICES_DIR -c max_connections=300 -c fsync=off" start >/dev/null \
      || { tail -20 "$SERVICES_DIR/pg.log" >&2; die "PostgreSQL did not start"; }
  fi
  export ZK_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
  export ZK_PG_BINDIR="$bin" ZK_PG_DATA="$data" ZK_PG_PORT="$PG_PORT" ZK_SERVICES_DIR="$SERVICES_DIR"
}

start_redis() {
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  if ! redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    log "starting Redis on 127.0.0.1:$REDIS_PORT"
    mkdir -p "$SERVICES_DIR/redis"
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --save '' --appendonly no \
      --dir "$SERVICES_DIR/redis" --logfile "$SERVICES_DIR/redis.log" --pidfile "$SERVICES_DIR/redis.pid"
    local i=0
    until redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; do
      i=$((i + 1)); [ "$i" -gt 100 ] && die "Redis did not start"; sleep 0.1
    done
  fi
  export ZK_TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
  export ZK_REDIS_PORT="$REDIS_PORT"
}

drop_test_databases() {
  local dbs
  dbs=$("$ZK_PG_BINDIR/psql" -At -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres \
    -c "SELECT datname FROM pg_database WHERE datname LIKE 'zk\_test\_%' OR datname LIKE 'zk\_e2e\_%' OR datname LIKE 'zk\_bench\_%'") || return 0
  for db in $dbs; do
    "$ZK_PG_BINDIR/psql" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null || true
  done
}
