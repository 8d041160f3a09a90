#!/usr/bin/env bash
# Run the kit's coverage-guided fuzz harnesses (atheris/libFuzzer).
#   fuzz/run.sh all 3600          every target for an hour each
#   fuzz/run.sh qr_image 600      one target for ten minutes
#   fuzz/run.sh list              the targets
# New interesting inputs go to var/fuzz/<target>/corpus (merge the good ones into fuzz/corpus/<target>
# with -merge=1); crashes go to var/fuzz/<target>/artifacts: copy each into fuzz/regressions/<target>/,
# where tests/reliability/test_rel_fuzz.py replays it forever, then fix the bug.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGETS=(qr_text qr_image apdu_user apdu_psam card_data readers node_requests kit_files)
what="${1:-all}"
seconds="${2:-60}"
if [ "$what" = list ]; then printf '%s\n' "${TARGETS[@]}"; exit 0; fi
[ "$what" = all ] && selected=("${TARGETS[@]}") || selected=("$what")
status=0
for t in "${selected[@]}"; do
  [ -f "fuzz/fuzz_$t.py" ] || { echo "fuzz: unknown target $t (fuzz/run.sh list)" >&2; exit 2; }
  work="var/fuzz/$t"
  mkdir -p "$work/corpus" "$work/artifacts"
  echo "== fuzz $t for ${seconds}s"
  set +e
  PYTHONPATH=".${PYTHONPATH:+:$PYTHONPATH}" python "fuzz/fuzz_$t.py" -max_total_time="$seconds" \
    -rss_limit_mb=2048 -timeout=30 -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
    "$work/corpus" "fuzz/corpus/$t" >"$work/last.log" 2>&1
  rc=$?
  set -e
  grep -E "^#[0-9]+[[:space:]]+(INITED|DONE)|Done [0-9]+ runs|Uncaught|Test unit written" "$work/last.log" || true
  if [ "$rc" -ne 0 ]; then
    echo "fuzz $t: exit status $rc (log: $work/last.log)" >&2
    status=1
  fi
  if [ -n "$(ls -A "$work/artifacts" 2>/dev/null)" ]; then
    echo "fuzz $t: CRASH artifacts in $work/artifacts (copy them into fuzz/regressions/$t/)" >&2
    status=1
  fi
done
exit $status
