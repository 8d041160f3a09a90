"""Vendor declaration (implementation conformance statement, ICS) and applicability.

The declaration says what the device under test (DUT) claims: its roles, the media it accepts,
the optional features it implements and the optional (``should``) requirements it claims. It
narrows a run: a requirement outside the declaration is *not applicable*, with the reason, and
never counts for or against the DUT. Without a declaration the DUT is taken to claim everything
the profile enables for the role under test (the strictest reading): every applicable ``must`` and
``should`` gates the run. A declaration relaxes a ``should`` only with a recorded reason, shown in
the report: ``[exclusions]`` (not implemented) or ``[not_claimed]`` (an optional not claimed).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationInfo, field_validator, model_validator

from ehc.errors import EhcError
from ehc.filemodels import FileModel, context_of, kit_problem, validate

from .catalogue import Catalogue, Requirement
from .errors import DECLARATION_INVALID
from .profiles import Profile


@dataclass(frozen=True)
class Declaration:
    dut: dict[str, str]
    roles: tuple[str, ...]
    media: tuple[str, ...] | None  # None = everything the profile accepts
    features: tuple[str, ...] | None  # None = everything the profile enables
    optional: tuple[str, ...] | None  # should-requirements claimed explicitly (documentation)
    exclusions: dict[str, str] = field(default_factory=dict)  # should-requirement id -> reason
    not_claimed: dict[str, str] = field(default_factory=dict)  # optional not claimed -> reason
    source: str = "default"
    declared: dict[str, Any] = field(default_factory=dict)  # DUT-declared values (DECLARABLE keys)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "dut": self.dut,
            "roles": list(self.roles),
            "media": None if self.media is None else list(self.media),
            "features": None if self.features is None else list(self.features),
            "optional": None if self.optional is None else list(self.optional),
            "exclusions": self.exclusions,
            "not_claimed": self.not_claimed,
            "declared": self.declared,
        }


#: Values a DUT may declare about itself (they shape tests, never the verdict rules).
DECLARABLE = {"dynamic_code.clock_skew_seconds": int}


def default_declaration(role: str, dut_name: str = "unnamed DUT") -> Declaration:
    """What a run assumes without a declaration file: every medium, feature and option."""
    return Declaration(dut={"name": dut_name}, roles=(role,), media=None, features=None, optional=None)


HINT = "See docs/certification.md §3 for the declaration format"


def _catalogue(info: ValidationInfo) -> Catalogue:
    return context_of(info)["catalogue"]


def _known(values: list[str], vocabulary: dict[str, str], kind: str) -> list[str]:
    unknown = [v for v in values if v not in vocabulary]
    if unknown:
        listed = ", ".join(f"unknown {kind} {v!r}" for v in unknown)
        raise kit_problem(f"{listed} (known: {', '.join(sorted(vocabulary))})")
    return values


class _Claims(FileModel):
    roles: list[str] = Field(default_factory=list, validate_default=True)
    media: list[str] | None = None  # None = everything the profile accepts
    features: list[str] | None = None  # None = everything the profile enables
    optional: list[str] | None = None

    @field_validator("roles")
    @classmethod
    def _roles(cls, v: list[str], info: ValidationInfo) -> list[str]:
        if not v:
            raise kit_problem("claims.roles must name at least one role")
        return _known(v, _catalogue(info).vocabulary.roles, "role")

    @field_validator("media")
    @classmethod
    def _media(cls, v: list[str] | None, info: ValidationInfo) -> list[str] | None:
        return v if v is None else _known(v, _catalogue(info).vocabulary.media, "medium")

    @field_validator("features")
    @classmethod
    def _features(cls, v: list[str] | None, info: ValidationInfo) -> list[str] | None:
        return v if v is None else _known(v, _catalogue(info).vocabulary.features, "feature")

    @field_validator("optional")
    @classmethod
    def _optional(cls, v: list[str] | None, info: ValidationInfo) -> list[str] | None:
        catalogue = _catalogue(info)
        for rid in v or ():
            if rid not in catalogue:
                raise kit_problem(f"claims.optional names unknown requirement {rid}")
            if catalogue[rid].level != "should":
                raise kit_problem(f"{rid} is a must-requirement: it cannot be optional")
        return v


def _relaxation(table: str, entries: dict[str, str], catalogue: Catalogue) -> dict[str, str]:
    """``[exclusions]`` / ``[not_claimed]``: should-requirement id -> the vendor's reason."""
    for rid, reason in entries.items():
        if rid not in catalogue:
            raise kit_problem(f"[{table}] names unknown requirement {rid}")
        if catalogue[rid].level == "must":
            # A DUT may not opt out of a mandatory rule by declaration: only media/features/roles narrow.
            raise kit_problem(f"{rid} is a must-requirement and cannot be relaxed")
        if not reason.strip():
            # No silent relaxation: the report shows why a should does not decide the run.
            raise kit_problem(f"[{table}] entry {rid} needs a reason")
    return {rid: reason.strip() for rid, reason in entries.items()}


class _DeclarationFile(FileModel):
    """A declaration TOML file (docs/certification.md §3); the catalogue is the validation context."""

    dut: dict[str, Any]
    claims: _Claims
    exclusions: dict[str, str] = Field(default_factory=dict)
    not_claimed: dict[str, str] = Field(default_factory=dict)
    declared: dict[str, Any] = Field(default_factory=dict)

    @field_validator("dut")
    @classmethod
    def _dut(cls, v: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(v.get("name"), str) or not v["name"].strip():
            raise kit_problem("[dut] with at least 'name' is required")
        for key, value in v.items():
            if isinstance(value, dict | list):
                raise kit_problem(
                    f"[dut] {key!r} must be a single value (text or number), not a table or list"
                )
        return v

    @field_validator("exclusions", "not_claimed")
    @classmethod
    def _relaxations(cls, v: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        return _relaxation(str(info.field_name), v, _catalogue(info))

    @field_validator("declared")
    @classmethod
    def _declared(cls, v: dict[str, Any]) -> dict[str, Any]:
        for key, value in v.items():
            kind = DECLARABLE.get(key)
            # bool is an int in Python, not a number of seconds
            if kind is None or not isinstance(value, kind) or isinstance(value, bool):
                raise kit_problem(
                    f"[declared] {key!r}: declarable keys are {sorted(DECLARABLE)} "
                    f"({', '.join(f'{k}: {t.__name__}' for k, t in DECLARABLE.items())})"
                )
        return v

    @model_validator(mode="after")
    def _consistent(self) -> _DeclarationFile:
        for rid in sorted(set(self.exclusions) & set(self.not_claimed)):
            raise kit_problem(f"{rid} is both in [exclusions] and in [not_claimed]")
        for table, entries in (("exclusions", self.exclusions), ("not_claimed", self.not_claimed)):
            for rid in sorted(set(entries) & set(self.claims.optional or ())):
                raise kit_problem(f"{rid} is claimed in claims.optional and in [{table}]")
        return self


def load_declaration(path: Path | str, catalogue: Catalogue) -> Declaration:
    """Read and check a declaration TOML file (format in docs/certification.md)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:  # REL-F12: not UTF-8
        raise EhcError(DECLARATION_INVALID, f"{path.name}: {exc}") from None
    d = validate(
        _DeclarationFile, data, DECLARATION_INVALID, path.name, context={"catalogue": catalogue}, hint=HINT
    )
    claims = d.claims
    return Declaration(
        declared=dict(d.declared),
        dut={str(k): str(v) for k, v in d.dut.items()},
        roles=tuple(claims.roles),
        media=None if claims.media is None else tuple(claims.media),
        features=None if claims.features is None else tuple(claims.features),
        optional=None if claims.optional is None else tuple(claims.optional),
        exclusions=dict(d.exclusions),
        not_claimed=dict(d.not_claimed),
        source=path.name,
    )


@dataclass(frozen=True)
class Applicability:
    """Whether a requirement is checked in this run, and whether its failure fails the run."""

    applicable: bool
    reason: str | None = None
    gating: bool = False
    out_of_scope: bool = False


def applicability(req: Requirement, role: str, profile: Profile, decl: Declaration) -> Applicability:
    """Decide, with a reason an evaluator can read, if ``req`` applies to this run."""
    if not profile.includes(req):
        reason = profile.excluded.get(req.id) or f"not part of profile {profile.name}"
        return Applicability(False, reason)
    if role not in req.roles:
        return Applicability(False, f"applies to role(s) {', '.join(req.roles)}, not {role}")
    if role not in decl.roles:
        return Applicability(False, f"declaration does not claim role {role}")
    if req.media:
        offered = [m for m in req.media if m in profile.media]
        if not offered:
            return Applicability(
                False, f"medium {'/'.join(req.media)} not accepted by profile {profile.name}"
            )
        if decl.media is not None and not set(offered) & set(decl.media):
            return Applicability(False, f"medium {'/'.join(offered)} not claimed in the declaration")
    if req.feature:
        if req.feature not in profile.features:
            return Applicability(False, f"feature {req.feature} not enabled by profile {profile.name}")
        if decl.features is not None and req.feature not in decl.features:
            return Applicability(False, f"feature {req.feature} not claimed in the declaration")
    if req.id in decl.exclusions:
        return Applicability(False, f"excluded by the declaration: {decl.exclusions[req.id]}")
    if req.id in decl.not_claimed:
        return Applicability(
            False, f"optional requirement not claimed in the declaration: {decl.not_claimed[req.id]}"
        )
    if req.out_of_scope:
        return Applicability(True, f"out of scope of the kit's suites: {req.out_of_scope}", False, True)
    # Every applicable requirement gates, should as well as must: a should is relaxed only above,
    # by a declaration entry with a reason (no declaration = the strictest reading).
    return Applicability(True, None, True)
