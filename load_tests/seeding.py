"""Seeding a node target before the timed part (filled in against the reference node API)."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from ehc.errors import EhcError
from load_tests.errors import LOAD_SEED_FAILED


def prepare_node_target(
    opts: Any, target: Any, people: list[Any], stack: ExitStack
) -> tuple[str, dict[str, Any]]:
    raise EhcError(LOAD_SEED_FAILED, "node targets need the reference node package")
