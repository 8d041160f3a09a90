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

echo "== types (mypy: the seven packages, configured in pyproject.toml [tool.mypy])"
mypy

# A fresh Hypothesis seed per run, printed so any failure can be replayed with HYPOTHESIS_SEED=<n>.
SEED="${HYPOTHESIS_SEED:-$(python -c 'import random; print(random.randrange(2**32))')}"
echo "== tests (hypothesis seed $SEED)"
python -m pytest -q -p no:cacheprovider --hypothesis-seed="$SEED" --timeout=600 "$@"

echo "== requirement coverage (every requirement has a test or an out-of-scope reason)"
ehc certify coverage

echo "== self-test: every reference passes, every mutant is caught"
ehc certify selftest --jobs 2  # two roles at once on the 2-core CI machine

echo "== certification of the reference node (national profile), signed report verified offline"
out="$(mktemp -d)"
ehc certify node --target reference --profile national --certification --out "$out/node"
ehc certify verify-report "$out/node"
rm -rf "$out"
