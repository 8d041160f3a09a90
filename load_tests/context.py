"""What every simulated user of a run shares in one Locust process: target kind, test data, knobs.

Set once per process by the runner (a worker gets it from the master in a custom message) before
any user starts; actors read it in ``on_start``.
"""

from __future__ import annotations

import random
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

__all__ = ["RunContext", "set_current", "current", "PersonPool"]


class PersonPool:
    """Residents handed out one at a time: a person is at one point of care at once, and a
    dynamic code fetched for them stays theirs until used up."""

    def __init__(self, persons: list[dict[str, Any]], seed: int) -> None:
        items = list(persons)
        random.Random(seed).shuffle(items)
        self._free: deque[dict[str, Any]] = deque(items)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._free)

    def checkout(self) -> dict[str, Any] | None:
        with self._lock:
            return self._free.popleft() if self._free else None

    def giveback(self, person: dict[str, Any]) -> None:
        with self._lock:
            self._free.append(person)


@dataclass
class RunContext:
    mode: str  # "node" (ehc.node.v1 target) or "echo" (baseline: every call is an echo)
    dataset: dict[str, Any]
    settings: dict[str, Any] = field(default_factory=dict)
    worker_index: int = 0
    worker_count: int = 1
    pool: PersonPool | None = None
    presented: set[str] = field(default_factory=set)  # EHCIDs shown: the working set really used

    def __post_init__(self) -> None:
        persons = self.dataset.get("persons", [])
        mine = persons[self.worker_index :: max(self.worker_count, 1)] or persons
        self.pool = PersonPool(mine, seed=int(self.settings.get("seed", 1)) + self.worker_index)

    @property
    def think_scale(self) -> float:
        return float(self.settings.get("think_scale", 1.0))

    def share(self, name: str, default: float) -> float:
        """A tunable share of a mix (``--set name=value`` on the command line overrides it)."""
        return float(self.settings.get("shares", {}).get(name, default))


_current: RunContext | None = None


def set_current(ctx: RunContext) -> None:
    global _current
    _current = ctx


def current() -> RunContext:
    if _current is None:
        raise RuntimeError("no run context: users must be started by load_tests.runner")
    return _current
