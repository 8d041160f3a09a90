"""Profiles: the rules of a province or city in one TOML file each (``ehc/profiles/*.toml``).

A profile names the profiles it ``extends``; its parameters deep-merge along the chain (tables
merge key by key, any other value, arrays too, replaces the parent's), so a province overrides
one value without restating the rest. This is the lowest layer: the node reads its configuration
from here (``ehc node serve --profile NAME``) and the conformance suites select requirements and
parameters from the same files (conformance_tests/profiles.py adds the catalogue checks).
"""

from __future__ import annotations

import copy
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ConfigDict, Field, ValidationInfo, field_validator

from ehc.errors import PROFILE_FILE_INVALID, PROFILE_FILE_UNKNOWN, EhcError
from ehc.filemodels import FileModel, kit_problem, shown, validate

PROFILES_DIR = Path(__file__).resolve().parent
HINT = "See docs/certification.md §2 (profiles) and ehc/profiles/national.toml for the format"


@dataclass(frozen=True)
class ProfileData:
    """A profile resolved along its ``extends`` chain: merged parameters, no catalogue needed."""

    name: str
    title: str
    chain: tuple[str, ...]  # self first, then ancestors (nearest first)
    parameters: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, dict[str, Any]] = field(default_factory=dict)  # each file of the chain, parsed

    def param(self, dotted: str, default: Any = None) -> Any:
        """A parameter by dotted path, e.g. ``dynamic_code.lifetime_seconds``."""
        node: Any = self.parameters
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """A new dict: tables merge recursively, other values in ``override`` replace ``base``."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def available_profiles(directory: Path | str | None = None) -> list[str]:
    return sorted(p.stem for p in Path(directory or PROFILES_DIR).glob("*.toml"))


# ---- the file's structure (issue #17: a typed model instead of hand checks). Parameters stay open
# (the node and the suites read their own keys, conformance_tests/profiles.py checks them against
# the catalogue); the few whose type every reader relies on are typed here.
class _Header(FileModel):
    name: str
    title: str | None = None
    extends: list[str] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str, info: ValidationInfo) -> str:
        expected = (info.context or {}).get("name")
        if expected is not None and v != expected:
            raise kit_problem(f"name must be {expected!r} (the file name), not {v!r}")
        return v


class _Select(FileModel):
    include: list[str] = Field(default_factory=list)
    exclude: list[Any] = Field(default_factory=list)

    @field_validator("exclude")
    @classmethod
    def _exclude(cls, v: list[Any]) -> list[Any]:
        for item in v:
            if isinstance(item, str):
                continue
            if (
                not isinstance(item, dict)
                or set(item) != {"id", "reason"}
                or not all(isinstance(x, str) and x.strip() for x in item.values())
            ):
                given = (
                    f"a table of {', '.join(shown(k) for k in item)}"
                    if isinstance(item, dict)
                    else shown(item)
                )
                raise kit_problem(
                    f"entries are requirement ids or {{id, reason}} tables with text, not {given}"
                )
        return v


class _DynamicCode(FileModel):
    model_config = ConfigDict(extra="allow")
    lifetime_seconds: int | None = Field(default=None, gt=0)
    max_uses: int | None = Field(default=None, ge=0)


class _Parameters(FileModel):
    model_config = ConfigDict(extra="allow")
    accepted_media: list[str] | None = None
    features: list[str] | None = None
    dynamic_code: _DynamicCode | None = None


class _ProfileFile(FileModel):
    profile: _Header
    select: _Select = Field(default_factory=_Select)
    parameters: _Parameters = Field(default_factory=_Parameters)


def read_profile_file(name: str, directory: Path | str | None = None) -> dict[str, Any]:
    """One profile file, parsed; its ``[profile] name`` must match the file name."""
    directory = Path(directory or PROFILES_DIR)
    path = directory / f"{name}.toml"
    if not path.is_file():
        known = ", ".join(available_profiles(directory))
        raise EhcError(PROFILE_FILE_UNKNOWN, f"no profile {name!r}; known: {known}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:  # not UTF-8, or not TOML
        raise EhcError(PROFILE_FILE_INVALID, f"{path.name}: {exc}") from None
    validate(_ProfileFile, data, PROFILE_FILE_INVALID, path.name, context={"name": name}, hint=HINT)
    return data


def load_profile_data(name: str, directory: Path | str | None = None) -> ProfileData:
    """Resolve ``name`` with its ancestors; EhcError on a missing file or an inheritance cycle."""
    chain: list[str] = []
    raw: dict[str, dict[str, Any]] = {}

    def visit(n: str, path: tuple[str, ...]) -> None:
        if n in path:
            raise EhcError(PROFILE_FILE_INVALID, f"profile inheritance cycle: {' -> '.join((*path, n))}")
        if n in raw:
            return
        raw[n] = read_profile_file(n, directory)
        for parent in raw[n]["profile"].get("extends", []):
            visit(parent, (*path, n))
        chain.append(n)  # post-order: ancestors before descendants

    visit(name, ())
    params: dict[str, Any] = {}
    for n in chain:
        params = deep_merge(params, raw[n].get("parameters", {}))
    return ProfileData(
        name=name,
        title=str(raw[name]["profile"].get("title", name)),
        chain=tuple(reversed(chain)),
        parameters=params,
        raw=raw,
    )
