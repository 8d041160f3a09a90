#!/usr/bin/env bash
# The figures of docs/performance.md's issue #14 tables, in one run (about 10 minutes on 2 cores):
# node vs echo (1 and 2 processes), the five-server gap benchmark, `ehc node import` of the kit's
# 100k population on SQLite and (if reachable) PostgreSQL, and the QR read. Run it on an otherwise
# idle machine: each line prints the load average so a loaded run can be recognised.
#   benchmarks/issue14_table.sh [OUT_DIR]
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
EHC=${EHC:-.venv/bin/ehc}
OUT=${1:-$(mktemp -d /tmp/ehc-issue14-XXXX)}
mkdir -p "$OUT"
stamp() { echo "== $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg) :: $*"; }

import_run() {  # import_run LABEL PROCESSES CONNECTIONS [DB_URL]
  local d sp
  d=$(mktemp -d "$OUT/import-XXXX") && chmod 700 "$d"
  $EHC node serve --data-dir "$d/node" --grpc-port 0 --processes "$2" --rate-limit 0 ${4:+--db "$4"} \
    > "$d/serve.log" 2>&1 &
  sp=$!
  for _ in $(seq 1 300); do [ -f "$d/node/endpoint.json" ] && break; sleep 0.2; done
  sleep 1
  stamp "import $1: --processes $2 --connections $3"
  /usr/bin/time -f "wall %e s (client CPU user %U s, sys %S s)" \
    $EHC node import --population "$OUT/pop.jsonl" --data-dir "$d/node" --restart --quiet --connections "$3" 2>&1 | tail -2
  kill "$sp"; wait "$sp" 2>/dev/null
  rm -rf "$d"
}

stamp "start at $(git log --oneline -1)"
[ -f "$OUT/pop.jsonl" ] || $EHC fixtures population -n 100000 > "$OUT/pop.jsonl"
stamp "node vs echo, 1 process"
$PY benchmarks/bench_node.py --seconds 5 --cards 300 --residents 20000 --out "$OUT/node1.json" 2>&1 | grep -v TEST-ONLY
stamp "node vs echo, --processes 2"
$PY benchmarks/bench_node.py --seconds 5 --cards 300 --residents 0 --processes 2 --out "$OUT/node2.json" 2>&1 | grep -v TEST-ONLY
stamp "five servers side by side"
$PY benchmarks/bench_grpc_gap.py --rounds 5 --seconds 3 2>&1 | grep -v TEST-ONLY
for args in "1 1" "1 2" "2 2" "2 4"; do import_run sqlite $args; done
if url=$(scripts/start-postgres.sh 2>/dev/null); then
  for args in "1 1" "1 2" "2 2" "2 4"; do
    schema="issue14_$(date +%H%M%S%N | cut -c1-10)"
    $PY -c "import psycopg; psycopg.connect('$url', autocommit=True).execute('CREATE SCHEMA $schema')"
    import_run postgresql $args "$url?options=-csearch_path%3D$schema"
    $PY -c "import psycopg; psycopg.connect('$url', autocommit=True).execute('DROP SCHEMA $schema CASCADE')"
  done
else
  stamp "PostgreSQL not reachable (scripts/start-postgres.sh): its import rows are not measured"
fi
stamp "QR read"
$PY benchmarks/bench_qr.py 2>&1 | tail -12
stamp "done; JSON of the node runs in $OUT"
