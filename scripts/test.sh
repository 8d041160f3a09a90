#!/usr/bin/env bash
# Every test of the kit, from a fresh machine: set-up, services, lint, unit/integration/end-to-end
# tests (real gRPC, real pcscd, real SQLite and PostgreSQL, real zxing-cpp), requirement coverage,
# the suites' self-test and a certification of the reference node. Exit status 0 only if all pass.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh
# shellcheck disable=SC1091
source .venv/bin/activate

if url=$(scripts/start-postgres.sh); then
  export EHC_TEST_PG_URL="$url"
  echo "test: PostgreSQL at ${url%%:*}://…@127.0.0.1:5432/ehc_test"
else
  echo "test: PostgreSQL unavailable; PostgreSQL tests will skip with that reason"
fi

# The README test command runs the slow real paths too (e.g. the 1,000,000-round SM4 vector).
export EHC_RUN_SLOW="${EHC_RUN_SLOW:-1}"

echo "== lint (ruff)"
ruff check .
ruff format --check .

# A fresh Hypothesis seed per run, printed so any failure can be replayed with HYPOTHESIS_SEED=<n>.
SEED="${HYPOTHESIS_SEED:-$(python -c 'import random; print(random.randrange(2**32))')}"
echo "== tests (hypothesis seed $SEED)"
python -m pytest -q -p no:cacheprovider --hypothesis-seed="$SEED" --timeout=600 "$@"

if ehc certify --help >/dev/null 2>&1; then
  echo "== requirement coverage"
  ehc certify coverage
fi
