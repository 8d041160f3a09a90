#!/usr/bin/env bash
# Every test of the kit, from a fresh machine: set-up, services, lint, unit/integration/end-to-end
# tests (real gRPC, real pcscd, real SQLite and PostgreSQL, real zxing-cpp), requirement coverage,
# the suites' self-test and a certification of the reference node. Exit status 0 only if all pass.
set -euo pipefail
cd "$(dirname "$0")/.."

# Wall time of each stage, printed when the next starts and at the end (docs/performance.md).
t_start=$SECONDS
t_stage=$SECONDS
stage() {
  echo "   (took $((SECONDS - t_stage)) s)"
  t_stage=$SECONDS
  echo "== $1"
}

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

stage "lint (ruff)"
ruff check .
ruff format --check .

stage "types (mypy: the seven packages, configured in pyproject.toml [tool.mypy])"
mypy

# A fresh Hypothesis seed per run, printed so any failure can be replayed with HYPOTHESIS_SEED=<n>.
SEED="${HYPOTHESIS_SEED:-$(python -c 'import random; print(random.randrange(2**32))')}"
stage "tests (hypothesis seed $SEED)"
# Two workers (pytest-xdist, whole modules per worker so module fixtures are built once): a serial
# run used ~0.65 of a core (9.3 min CPU in 14.5 min), the rest waits on subprocesses and sockets.
# Services are per test or per worker (free ports, a PostgreSQL schema per test).
# EHC_PYTEST_WORKERS=0: one process.
python -m pytest -q -p no:cacheprovider -n "${EHC_PYTEST_WORKERS:-2}" --dist loadfile -m "not pcscd" \
  --hypothesis-seed="$SEED" --timeout=600 "$@"
# Then the real-pcscd tests (-m pcscd: the 25 the first pass left out), in one process in file order:
# libpcsclite keeps the first pcscd socket its process used, and on a worker that had already made a
# PC/SC call the pcsc fixtures' own pcscd was unreachable (pcsc_reset setup errors under xdist).
python -m pytest -q -p no:cacheprovider -m pcscd --hypothesis-seed="$SEED" --timeout=600 "$@"

stage "requirement coverage (every requirement has a test or an out-of-scope reason)"
ehc certify coverage

stage "self-test: every reference passes, every mutant is caught"
ehc certify selftest --jobs 2  # its single runs shared by two processes on the 2-core CI machine

stage "certification of the reference node (national profile), signed report verified offline"
out="$(mktemp -d)"
ehc certify node --target reference --profile national --certification --out "$out/node"
ehc certify verify-report "$out/node"
rm -rf "$out"
echo "   (took $((SECONDS - t_stage)) s)"
echo "== all passed in $((SECONDS - t_start)) s"
