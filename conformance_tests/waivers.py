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

from pydantic import Field, ValidationInfo, field_validator

from ehc.errors import EhcError
from ehc.filemodels import FileModel, context_of, kit_problem, validate

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


HINT = "See docs/certification.md §4 for the waiver format"


class _WaiverEntry(FileModel):
    """One ``[[waiver]]`` table; the catalogue is the validation context."""

    requirement: str
    reason: str
    expires: dt.date = Field(default=None, validate_default=True)  # missing: "an expiry date is required"
    test: str | None = None

    @field_validator("requirement")
    @classmethod
    def _requirement(cls, v: str, info: ValidationInfo) -> str:
        if v not in context_of(info)["catalogue"]:
            raise kit_problem(f"unknown requirement {v!r} (ids are listed by `ehc certify requirements`)")
        return v

    @field_validator("reason")
    @classmethod
    def _reason(cls, v: str) -> str:
        if len(v.strip()) < 5:
            raise kit_problem(
                "a reason is required (at least 5 characters: the ticket, what fails, when fixed)"
            )
        return v.strip()

    @field_validator("expires", mode="before")
    @classmethod
    def _date(cls, v: Any) -> Any:
        # TOML gives a date (expires = 2026-12-31); a quoted "2026-12-31" or a datetime is accepted too
        if isinstance(v, str):
            try:
                return dt.date.fromisoformat(v)
            except ValueError:
                raise kit_problem(f"expires must be YYYY-MM-DD, not {v[:20]!r}") from None
        if isinstance(v, dt.datetime):
            return v.date()
        if not isinstance(v, dt.date):
            raise kit_problem("an expiry date is required (expires = YYYY-MM-DD)")
        return v

    @field_validator("test")
    @classmethod
    def _test(cls, v: str | None) -> str | None:
        if v is not None and not v:
            raise kit_problem("test must be a non-empty string (a substring of the test id)")
        return v


class _WaiversFile(FileModel):
    # REL-F12: `waiver = "x"` or a single [waiver] table is refused: waivers are [[waiver]] tables
    waiver: list[_WaiverEntry] = Field(default_factory=list)


def load_waivers(path: Path | str, catalogue: Catalogue) -> list[Waiver]:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise EhcError(WAIVERS_INVALID, f"{path.name}: {exc}") from None
    if "waiver" in data and not isinstance(data["waiver"], list):
        raise EhcError(WAIVERS_INVALID, f"{path.name}: waivers are [[waiver]] tables (an array of tables)")
    parsed = validate(
        _WaiversFile, data, WAIVERS_INVALID, path.name, context={"catalogue": catalogue}, hint=HINT
    )
    return [Waiver(w.requirement, w.reason, w.expires, w.test) for w in parsed.waiver]
