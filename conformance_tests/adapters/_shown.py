"""How the envelope adapters show a message in the test's transcript (identifiers are masked by
the transcript itself): every string under a key that holds a large blob — a code image, an
encrypted body — becomes its size, at any depth, so the transcript stays readable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def sized(value: Any, is_blob: Callable[[str], bool]) -> Any:
    """``value`` with each string under a key ``is_blob`` accepts replaced by ``<N chars>``."""
    if isinstance(value, dict):
        return {
            k: f"<{len(v)} chars>" if is_blob(str(k)) and isinstance(v, str) else sized(v, is_blob)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [sized(v, is_blob) for v in value]
    return value


__all__ = ["sized"]
