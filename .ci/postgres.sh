#!/usr/bin/env bash
# Start or stop the throwaway PostgreSQL 15 cluster that the integration tests use.
#   .ci/postgres.sh start   -> prints `export GLUEPRINT_TEST_PG_URL=...` for eval
#   .ci/postgres.sh stop
# Needs root (it runs the cluster as the `postgres` system user through Debian's wrappers).
set -euo pipefail
VERSION=15
CLUSTER=glueprint_test
PORT=${GLUEPRINT_TEST_PG_PORT:-55432}
USER_NAME=glueprint
PASSWORD=glueprint-test-only
DB=glueprint

case "${1:-}" in
  start)
    if ! pg_lsclusters -h | awk '{print $2}' | grep -qx "$CLUSTER"; then
      pg_createcluster "$VERSION" "$CLUSTER" --port "$PORT" >/dev/null
    fi
    pg_ctlcluster "$VERSION" "$CLUSTER" start >&2 || true
    for _ in $(seq 1 30); do
      pg_isready -q -h 127.0.0.1 -p "$PORT" && break
      sleep 1
    done
    runuser -u postgres -- psql -q -p "$PORT" -v ON_ERROR_STOP=1 <<SQL >/dev/null
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$USER_NAME') THEN
    CREATE ROLE $USER_NAME LOGIN SUPERUSER PASSWORD '$PASSWORD';
  END IF;
END \$\$;
SQL
    if ! runuser -u postgres -- psql -p "$PORT" -Atc "SELECT 1 FROM pg_database WHERE datname='$DB'" | grep -q 1; then
      runuser -u postgres -- createdb -p "$PORT" -O "$USER_NAME" "$DB"
    fi
    echo "export GLUEPRINT_TEST_PG_URL=postgresql://$USER_NAME:$PASSWORD@127.0.0.1:$PORT/$DB"
    ;;
  stop)
    pg_ctlcluster "$VERSION" "$CLUSTER" stop --mode fast 2>/dev/null || true
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
