"""Transcripts: what a test did to the DUT, step by step, with identifiers masked.

Adapters write to the transcript of the test that is running (the plugin switches it per test),
so every APDU, gRPC call, driver message or image a test uses ends up in the report beside the
verdict it supports (the EMVCo/EBSI pattern: request and response of each step).
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any

from .masking import mask_apdu_hex, mask_text, mask_value

# A Hypothesis test can make thousands of calls. Keep the first steps and the last ones: Hypothesis
# replays the minimal failing example last, so the tail of a failing property's transcript is it.
HEAD_STEPS = 60
TAIL_STEPS = 340


class Transcript:
    def __init__(self) -> None:
        self.steps: list[dict[str, Any]] = []
        self.tail: deque[dict[str, Any]] = deque(maxlen=TAIL_STEPS)
        self.dropped = 0
        self._t0 = time.perf_counter()

    def _add(self, step: dict[str, Any]) -> None:
        step["t_ms"] = round((time.perf_counter() - self._t0) * 1000, 2)
        if len(self.steps) < HEAD_STEPS:
            self.steps.append(step)
            return
        if len(self.tail) == self.tail.maxlen:
            self.dropped += 1
        self.tail.append(step)

    def note(self, text: str) -> None:
        """A free-text step (what the test is about to check)."""
        self._add({"kind": "note", "text": mask_text(text)})

    def apdu(self, command: bytes, response: bytes, note: str = "") -> None:
        """A command APDU and the card's answer (data + SW1SW2); ID numbers inside are masked."""
        sw = response[-2:].hex().upper() if len(response) >= 2 else ""
        self._add(
            {
                "kind": "apdu",
                "command": mask_apdu_hex(command.hex().upper()),
                "response": mask_apdu_hex(response[:-2].hex().upper()),
                "sw": sw,
                "note": mask_text(note),
            }
        )

    def call(self, method: str, request: Any, response: Any = None, error: Any = None) -> None:
        """A call to the DUT (gRPC method, parser call, driver request) and its result."""
        self._add(
            {
                "kind": "call",
                "method": method,
                "request": mask_value(request),
                "response": mask_value(response),
                "error": mask_value(error),
            }
        )

    def image(self, description: str, digest_hex: str, size: int) -> None:
        self._add({"kind": "image", "description": mask_text(description), "sm3": digest_hex, "bytes": size})

    def to_list(self) -> list[dict[str, Any]]:
        if self.dropped:
            gap = {
                "kind": "note",
                "text": f"... {self.dropped} steps not kept ...",
                "t_ms": self.tail[0]["t_ms"],
            }
            return [*self.steps, gap, *self.tail]
        return [*self.steps, *self.tail]


class TranscriptHolder:
    """The session-wide handle adapters write to; the plugin points it at the running test."""

    def __init__(self) -> None:
        self.current = Transcript()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.current, name)
