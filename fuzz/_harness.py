"""Shared pieces of the fuzz harnesses: a byte-stream reader and the run entry point.

Every harness module defines ``TestOneInput(data: bytes) -> None`` that applies the kit's contract
to one input: the code under test may refuse the input only with ``EhcError`` (or, for the card,
a status word; for the node, a kit error code). Any other exception propagates and is a crash.

The harness logic does not need atheris: ``Input`` reads typed values from the fuzzer's bytes
so the same ``TestOneInput`` is driven by atheris (coverage-guided, ``main``), by Hypothesis
(``tests/reliability``) and by the regression replay (``fuzz/regressions/<target>/*``).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
FUZZ_DIR = Path(__file__).resolve().parent
REPO = FUZZ_DIR.parent
if str(REPO) not in sys.path:  # harnesses run as scripts from any directory
    sys.path.insert(0, str(REPO))


class Input:
    """Typed values consumed from the front of a fuzzer's byte string (short input → zeros)."""

    def __init__(self, data: bytes) -> None:
        self.data = bytes(data)
        self.pos = 0

    def remaining(self) -> int:
        return len(self.data) - self.pos

    def byte(self) -> int:
        if self.pos >= len(self.data):
            return 0
        self.pos += 1
        return self.data[self.pos - 1]

    def int_below(self, n: int) -> int:
        """An int in [0, n) from up to 2 bytes."""
        if n <= 1:
            return 0
        value = self.byte() if n <= 256 else (self.byte() << 8) | self.byte()
        return value % n

    def take(self, n: int) -> bytes:
        out = self.data[self.pos : self.pos + n]
        self.pos += len(out)
        return out

    def chunk(self, max_len: int = 255) -> bytes:
        """A length-prefixed byte string (1-byte length, capped at ``max_len``)."""
        return self.take(min(self.byte(), max_len))

    def rest(self) -> bytes:
        out = self.data[self.pos :]
        self.pos = len(self.data)
        return out

    def text(self, max_len: int = 255) -> str:
        return self.chunk(max_len).decode("utf-8", "replace")

    def pick(self, options: Sequence[T]) -> T:
        return options[self.int_below(len(options))]


def contract(*allowed: type[BaseException]) -> Callable[[Callable[[], object]], None]:
    """Run ``fn``; exceptions of ``allowed`` types are refusals, anything else propagates (crash)."""

    def run(fn: Callable[[], object]) -> None:
        try:
            fn()
        except allowed:
            pass

    return run


FUZZING = Path(sys.argv[0]).name.startswith("fuzz_") and __name__ != "__main__"


def instrumented(packages: Sequence[str]) -> contextlib.AbstractContextManager[object]:
    """Coverage instrumentation of the kit's packages when run as a fuzz script (else a no-op)."""
    if not FUZZING:
        return contextlib.nullcontext()
    import atheris

    return atheris.instrument_imports(include=list(packages))


def main(test_one_input: Callable[[bytes], None]) -> None:
    """Run under atheris with libFuzzer arguments from the command line (see fuzz/run.sh)."""
    import atheris

    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
