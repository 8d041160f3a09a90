"""Expected failures (waivers), OpenID-conformance style.

A waiver names a requirement (and optionally a test) with a reason and an expiry date. A failure
it matches does not fail the run. An expired waiver fails the run, and so does a waiver that no
longer matches any failure: the list of known problems must shrink when problems are fixed.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ehc.errors import EhcError

from .catalogue import Catalogue
from .errors import WAIVERS_INVALID


@dataclass(frozen=True)
class Waiver:
    requirement: str
    reason: str
    expires: dt.date
    test: str | None = None  # substring of the test node id; None = any test of the requirement

    def matches(self, requirement_ids: tuple[str, ...] | list[str], nodeid: str) -> bool:
        if self.requirement not in requirement_ids:
            return False
        return self.test is None or self.test in nodeid

    def expired(self, today: dt.date) -> bool:
        return today > self.expires

    def to_dict(self) -> dict[str, Any]:
        return {
            "requirement": self.requirement,
            "test": self.test,
            "reason": self.reason,
            "expires": self.expires.isoformat(),
        }


def load_waivers(path: Path | str, catalogue: Catalogue) -> list[Waiver]:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise EhcError(WAIVERS_INVALID, f"{path.name}: {exc}") from None
    entries = data.get("waiver", [])
    if not isinstance(entries, list):  # REL-F12: `waiver = "x"` or a single [waiver] table
        raise EhcError(WAIVERS_INVALID, "waivers are [[waiver]] tables")
    out = []
    for index, entry in enumerate(entries):
        where = f"waiver[{index}]"
        if not isinstance(entry, dict):
            raise EhcError(WAIVERS_INVALID, f"{where}: must be a [[waiver]] table")
        rid = entry.get("requirement")
        if rid not in catalogue:
            raise EhcError(WAIVERS_INVALID, f"{where}: unknown requirement {rid!r}")
        reason = entry.get("reason")
        if not isinstance(reason, str) or len(reason.strip()) < 5:
            raise EhcError(WAIVERS_INVALID, f"{where}: a reason is required")
        expires = entry.get("expires")
        if isinstance(expires, str):
            try:
                expires = dt.date.fromisoformat(expires)
            except ValueError:
                raise EhcError(WAIVERS_INVALID, f"{where}: expires must be YYYY-MM-DD") from None
        if isinstance(expires, dt.datetime):
            expires = expires.date()
        if not isinstance(expires, dt.date):
            raise EhcError(WAIVERS_INVALID, f"{where}: an expiry date is required (expires = YYYY-MM-DD)")
        test = entry.get("test")
        if test is not None and (not isinstance(test, str) or not test):
            raise EhcError(WAIVERS_INVALID, f"{where}: test must be a non-empty string")
        out.append(Waiver(rid, reason.strip(), expires, test))
    return out
