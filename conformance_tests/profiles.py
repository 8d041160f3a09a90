"""Conformance profiles: which requirements a run checks and with which parameters.

A profile names the profiles it ``extends``; its requirement set is every catalogue requirement
tagged with the profile or any ancestor, plus ``select.include``, minus ``select.exclude``.
Parameters deep-merge along the chain: tables merge key by key, any other value (arrays too)
replaces the parent's, so a province can override one value without restating the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ehc import profiles as files
from ehc.errors import EhcError
from ehc.profiles import deep_merge

from .catalogue import Catalogue, Requirement
from .errors import PROFILE_INVALID, PROFILE_UNKNOWN

# the files live in the lowest layer (ehc/profiles): the node reads its configuration from them too
PROFILES_DIR = files.PROFILES_DIR


@dataclass(frozen=True)
class Profile:
    """A resolved profile: its ancestry, selected requirement ids and merged parameters."""

    name: str
    title: str
    chain: tuple[str, ...]  # self first, then ancestors (nearest first)
    requirement_ids: frozenset[str]
    parameters: dict[str, Any] = field(default_factory=dict)
    excluded: dict[str, str] = field(default_factory=dict)  # id -> reason (explicit excludes)

    def param(self, dotted: str, default: Any = None) -> Any:
        """A parameter by dotted path, e.g. ``dynamic_code.lifetime_seconds``."""
        node: Any = self.parameters
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    def has_param(self, dotted: str) -> bool:
        sentinel = object()
        return self.param(dotted, sentinel) is not sentinel

    @property
    def media(self) -> tuple[str, ...]:
        return tuple(self.param("accepted_media", ()))

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(self.param("features", ()))

    def includes(self, req: Requirement) -> bool:
        return req.id in self.requirement_ids

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "chain": list(self.chain),
            "parameters": self.parameters,
            "requirements": len(self.requirement_ids),
        }


def _read(name: str, directory: Path) -> dict[str, Any]:
    """One profile file, with this layer's error codes (PROFILE_UNKNOWN / PROFILE_INVALID)."""
    try:
        return files.read_profile_file(name, directory)
    except EhcError as err:
        code = PROFILE_UNKNOWN if err.code.name == "PROFILE_FILE_UNKNOWN" else PROFILE_INVALID
        raise EhcError(code, err.message) from None


def available_profiles(directory: Path | None = None) -> list[str]:
    return files.available_profiles(directory or PROFILES_DIR)


def load_profile(name: str, catalogue: Catalogue, directory: Path | str | None = None) -> Profile:
    """Resolve ``name`` with its ancestors against ``catalogue``; EhcError on any inconsistency."""
    directory = Path(directory) if directory is not None else PROFILES_DIR
    chain: list[str] = []
    raw: dict[str, dict[str, Any]] = {}

    def visit(n: str, path: tuple[str, ...]) -> None:
        if n in path:
            raise EhcError(PROFILE_INVALID, f"profile inheritance cycle: {' -> '.join((*path, n))}")
        if n in raw:
            return
        data = _read(n, directory)
        raw[n] = data
        for parent in data["profile"].get("extends", []):
            visit(parent, (*path, n))
        chain.append(n)  # post-order: ancestors before descendants

    visit(name, ())
    if name not in catalogue.vocabulary.profiles:
        raise EhcError(PROFILE_INVALID, f"profile {name!r} is not declared in the catalogue vocabulary")
    params: dict[str, Any] = {}
    selected: set[str] = set()
    excluded: dict[str, str] = {}
    for n in chain:  # ancestors first, so descendants override
        data = raw[n]
        params = deep_merge(params, data.get("parameters", {}))
        select = data.get("select", {})
        selected.update(r.id for r in catalogue if n in r.profiles)
        for rid in select.get("include", []):
            if rid not in catalogue:
                raise EhcError(PROFILE_INVALID, f"profile {n}: include names unknown requirement {rid}")
            selected.add(rid)
            excluded.pop(rid, None)
        for item in select.get("exclude", []):
            rid, reason = (item, f"excluded by profile {n}") if isinstance(item, str) else _pair(item, n)
            if rid not in catalogue:
                raise EhcError(PROFILE_INVALID, f"profile {n}: exclude names unknown requirement {rid}")
            selected.discard(rid)
            excluded[rid] = reason
    _validate_parameters(name, params, catalogue)
    return Profile(
        name=name,
        title=str(raw[name]["profile"].get("title", name)),
        chain=tuple(reversed(chain)),
        requirement_ids=frozenset(selected),
        parameters=params,
        excluded=excluded,
    )


def _pair(item: Any, profile: str) -> tuple[str, str]:
    if not isinstance(item, dict) or "id" not in item or "reason" not in item:
        raise EhcError(PROFILE_INVALID, f"profile {profile}: exclude entries are ids or {{id, reason}}")
    return str(item["id"]), str(item["reason"])


def _validate_parameters(name: str, params: dict[str, Any], catalogue: Catalogue) -> None:
    vocab = catalogue.vocabulary
    for medium in params.get("accepted_media", []):
        if medium not in vocab.media:
            raise EhcError(PROFILE_INVALID, f"profile {name}: unknown medium {medium!r}")
    for feature in params.get("features", []):
        if feature not in vocab.features:
            raise EhcError(PROFILE_INVALID, f"profile {name}: unknown feature {feature!r}")
    media = params.get("accepted_media", [])
    if "newborn" in params.get("features", []) and "birth-certificate" not in media:
        # DIGEST §1.4 item 5: newborns are registered (and their cards found) on the birth certificate
        raise EhcError(PROFILE_INVALID, f"profile {name}: feature newborn needs medium birth-certificate")
    lifetime = params.get("dynamic_code", {}).get("lifetime_seconds", 1)
    if not isinstance(lifetime, int) or lifetime <= 0:
        raise EhcError(PROFILE_INVALID, f"profile {name}: dynamic_code.lifetime_seconds must be > 0")
    uses = params.get("dynamic_code", {}).get("max_uses", 0)
    if not isinstance(uses, int) or uses < 0:
        raise EhcError(PROFILE_INVALID, f"profile {name}: dynamic_code.max_uses must be >= 0")
