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

from ehc.errors import EhcError

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


def _strings(value: Any, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise EhcError(DECLARATION_INVALID, f"{what} must be a list of strings")
    return tuple(value)


def load_declaration(path: Path | str, catalogue: Catalogue) -> Declaration:
    """Read and check a declaration TOML file (format in docs/certification.md)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:  # REL-F12: not UTF-8
        raise EhcError(DECLARATION_INVALID, f"{path.name}: {exc}") from None
    dut = data.get("dut")
    if not isinstance(dut, dict) or not dut.get("name"):
        raise EhcError(DECLARATION_INVALID, "[dut] with at least 'name' is required")
    claims = data.get("claims", {})
    vocab = catalogue.vocabulary
    roles = _strings(claims.get("roles", []), "claims.roles")
    if not roles:
        raise EhcError(DECLARATION_INVALID, "claims.roles must name at least one role")
    for r in roles:
        if r not in vocab.roles:
            raise EhcError(DECLARATION_INVALID, f"unknown role {r!r}")
    media = _strings(claims["media"], "claims.media") if "media" in claims else None
    for m in media or ():
        if m not in vocab.media:
            raise EhcError(DECLARATION_INVALID, f"unknown medium {m!r}")
    features = _strings(claims["features"], "claims.features") if "features" in claims else None
    for f in features or ():
        if f not in vocab.features:
            raise EhcError(DECLARATION_INVALID, f"unknown feature {f!r}")
    optional = _strings(claims["optional"], "claims.optional") if "optional" in claims else None
    for rid in optional or ():
        if rid not in catalogue:
            raise EhcError(DECLARATION_INVALID, f"claims.optional names unknown requirement {rid}")
        if catalogue[rid].level != "should":
            raise EhcError(DECLARATION_INVALID, f"{rid} is a must-requirement: it cannot be optional")
    exclusions = _relaxations(data, "exclusions", catalogue, optional)
    not_claimed = _relaxations(data, "not_claimed", catalogue, optional)
    for rid in set(exclusions) & set(not_claimed):
        raise EhcError(DECLARATION_INVALID, f"{rid} is both in [exclusions] and in [not_claimed]")
    declared: dict[str, Any] = {}
    for key, value in data.get("declared", {}).items():
        kind = DECLARABLE.get(key)
        if kind is None or not isinstance(value, kind):
            raise EhcError(
                DECLARATION_INVALID, f"[declared] {key!r}: declarable keys are {sorted(DECLARABLE)}"
            )
        declared[key] = value
    return Declaration(
        declared=declared,
        dut={str(k): str(v) for k, v in dut.items()},
        roles=roles,
        media=media,
        features=features,
        optional=optional,
        exclusions=exclusions,
        not_claimed=not_claimed,
        source=path.name,
    )


def _relaxations(
    data: dict[str, Any], table: str, catalogue: Catalogue, claimed: tuple[str, ...] | None
) -> dict[str, str]:
    """``[exclusions]`` / ``[not_claimed]``: should-requirement id -> the vendor's reason."""
    entries = data.get(table, {})
    if not isinstance(entries, dict):
        raise EhcError(DECLARATION_INVALID, f"[{table}] must be a table of requirement id = reason")
    out: dict[str, str] = {}
    for rid, reason in entries.items():
        if rid not in catalogue:
            raise EhcError(DECLARATION_INVALID, f"[{table}] names unknown requirement {rid}")
        if catalogue[rid].level == "must":
            # A DUT may not opt out of a mandatory rule by declaration: only media/features/roles narrow.
            raise EhcError(DECLARATION_INVALID, f"{rid} is a must-requirement and cannot be relaxed")
        if not isinstance(reason, str) or not reason.strip():
            # No silent relaxation: the report shows why a should does not decide the run.
            raise EhcError(DECLARATION_INVALID, f"[{table}] entry {rid} needs a reason")
        if claimed is not None and rid in claimed:
            raise EhcError(DECLARATION_INVALID, f"{rid} is claimed in claims.optional and in [{table}]")
        out[rid] = reason.strip()
    return out


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
