#!/usr/bin/env bash
# Start the Debian PostgreSQL cluster (if needed), create the test database and print its URL.
# Prints nothing and exits 1 when PostgreSQL cannot be started here (tests then skip with a reason).
set -euo pipefail
VER=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)
[ -n "$VER" ] || { echo "start-postgres: PostgreSQL not installed" >&2; exit 1; }
SUDO=""; AS_PG=(sudo -u postgres)
if [ "$(id -u)" = 0 ]; then AS_PG=(runuser -u postgres --); else SUDO="sudo"; fi
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -q "^$VER main"; then
  $SUDO pg_createcluster "$VER" main >/dev/null
fi
pg_lsclusters -h | grep -q "^$VER *main .* online" || $SUDO pg_ctlcluster "$VER" main start
for _ in $(seq 1 30); do
  "${AS_PG[@]}" psql -qAtc "select 1" >/dev/null 2>&1 && break || sleep 0.5
done
# TEST-ONLY password on loopback so the test process (any OS user) can connect over TCP.
"${AS_PG[@]}" psql -qAtc "ALTER USER postgres PASSWORD 'ehc-test-only'" >/dev/null
"${AS_PG[@]}" psql -qAtc "SELECT 1 FROM pg_database WHERE datname='ehc_test'" | grep -q 1 \
  || "${AS_PG[@]}" createdb ehc_test
echo "postgresql://postgres:ehc-test-only@127.0.0.1:5432/ehc_test"
