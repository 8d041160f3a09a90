#!/usr/bin/env bash
# The kit's main job from a fresh machine: set-up, then `ehc demo` (a reference node, a synthetic
# population, e-cards and chip cards, a day of visits, a certification of the node, a signed report).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
exec .venv/bin/ehc demo "$@"
