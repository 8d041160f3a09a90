"""The requirements catalogue: load, validate and query the TOML files in ``requirements/``.

Every conformance verdict is about a requirement of this catalogue. Validation is strict (unique
ids, known roles/profiles/media/features, a source on every entry) so that a typo fails loudly at
load time instead of silently dropping a requirement out of a certification run.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, ValidationInfo, field_validator

from ehc.errors import EhcError
from ehc.filemodels import FileModel, context_of, error, kit_problem, problems, validate

from .errors import CATALOGUE_INVALID

REQUIREMENTS_DIR = Path(__file__).with_name("requirements")
VOCABULARY_FILE = "vocabulary.toml"
ID_PATTERN = re.compile(r"^[A-Z]+(-[A-Z0-9]+)*-\d{3}$")
LEVELS = ("must", "should")
STATUSES = ("confirmed", "assumed")


@dataclass(frozen=True)
class Requirement:
    """One testable statement with a stable id, traced to its source."""

    id: str
    text: str
    source: str
    level: str
    roles: tuple[str, ...]
    profiles: tuple[str, ...]
    status: str
    media: tuple[str, ...] = ()
    feature: str | None = None
    params: tuple[str, ...] = ()
    out_of_scope: str | None = None
    file: str = ""

    @property
    def area(self) -> str:
        """The id without its number, e.g. ``QR-TEXT`` for ``QR-TEXT-001``."""
        return self.id.rsplit("-", 1)[0]

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "text": self.text,
            "source": self.source,
            "level": self.level,
            "roles": list(self.roles),
            "profiles": list(self.profiles),
            "status": self.status,
            "media": list(self.media),
            "feature": self.feature,
            "params": list(self.params),
            "out_of_scope": self.out_of_scope,
        }


@dataclass(frozen=True)
class Vocabulary:
    roles: dict[str, str]
    profiles: dict[str, str]
    media: dict[str, str]
    features: dict[str, str]


@dataclass
class Catalogue:
    """All requirements, by id, plus the vocabulary they were checked against."""

    vocabulary: Vocabulary
    requirements: dict[str, Requirement] = field(default_factory=dict)

    def __contains__(self, rid: object) -> bool:
        return rid in self.requirements

    def __getitem__(self, rid: str) -> Requirement:
        return self.requirements[rid]

    def __len__(self) -> int:
        return len(self.requirements)

    def __iter__(self):
        return iter(self.requirements.values())

    def select(
        self,
        roles: Iterable[str] | None = None,
        profiles: Iterable[str] | None = None,
    ) -> list[Requirement]:
        """Requirements for any of ``roles`` and included by any of ``profiles`` (None = all)."""
        role_set = set(roles) if roles is not None else None
        profile_set = set(profiles) if profiles is not None else None
        out = []
        for req in self.requirements.values():
            if role_set is not None and not role_set.intersection(req.roles):
                continue
            if profile_set is not None and not profile_set.intersection(req.profiles):
                continue
            out.append(req)
        return sorted(out, key=lambda r: r.id)


HINT = "Fix the requirement files (format: docs/certification.md §1, 'The requirements catalogue')"


class _VocabularyFile(FileModel):
    roles: dict[str, str]
    profiles: dict[str, str]
    media: dict[str, str]
    features: dict[str, str]


class _RequirementsFile(FileModel):
    # a typo such as [[requirment]] is refused rather than silently dropping the file's entries
    requirement: list[dict[str, Any]] = Field(default_factory=list)


def _known(values: list[str], vocabulary: dict[str, str], kind: str) -> list[str]:
    unknown = [v for v in values if v not in vocabulary]
    if unknown:
        listed = ", ".join(f"unknown {kind} {v!r}" for v in unknown)
        raise kit_problem(f"{listed} (known: {', '.join(sorted(vocabulary))} - or add it to vocabulary.toml)")
    return values


class _RequirementEntry(FileModel):
    """One ``[[requirement]]`` table, checked against the vocabulary (validation context)."""

    id: str
    text: str
    source: str
    level: Literal["must", "should"]
    roles: list[str] = Field(default_factory=list, validate_default=True)
    profiles: list[str] = Field(default_factory=list, validate_default=True)
    status: Literal["confirmed", "assumed"]
    media: list[str] = Field(default_factory=list)
    feature: str | None = None
    params: list[str] = Field(default_factory=list)
    out_of_scope: str | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not ID_PATTERN.match(v):
            raise kit_problem(f"id {v!r} does not match AREA-NNN (upper-case area, 3 digits: QR-TEXT-001)")
        return v

    @field_validator("text", "source")
    @classmethod
    def _not_blank(cls, v: str, info: ValidationInfo) -> str:
        if not v.strip():
            raise kit_problem(f"'{info.field_name}' is required (non-blank text)")
        return v

    @field_validator("roles", "profiles")
    @classmethod
    def _roles_profiles(cls, v: list[str], info: ValidationInfo) -> list[str]:
        name = info.field_name or ""
        kind = name[:-1]  # role, profile
        if not v:
            raise kit_problem(f"at least one {kind} is required in {name}")
        return _known(v, context_of(info)[name], kind)

    @field_validator("media")
    @classmethod
    def _media(cls, v: list[str], info: ValidationInfo) -> list[str]:
        return _known(v, context_of(info)["media"], "medium")

    @field_validator("feature")
    @classmethod
    def _feature(cls, v: str | None, info: ValidationInfo) -> str | None:
        if v is not None:
            _known([v], context_of(info)["features"], "feature")
        return v

    @field_validator("out_of_scope")
    @classmethod
    def _reason(cls, v: str | None) -> str | None:
        if v is not None and len(v.strip()) < 10:
            raise kit_problem("out_of_scope must give a reason (at least 10 characters)")
        return v


def _load_vocabulary(directory: Path) -> Vocabulary:
    path = directory / VOCABULARY_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise EhcError(CATALOGUE_INVALID, f"{path.name}: {exc}") from None
    v = validate(_VocabularyFile, data, CATALOGUE_INVALID, path.name, hint=HINT)
    return Vocabulary(v.roles, v.profiles, v.media, v.features)


def _check_entry(entry: Any, where: str, vocab: Vocabulary, found: list[str]) -> Requirement | None:
    rid = entry.get("id") if isinstance(entry, dict) else None
    if isinstance(rid, str) and ID_PATTERN.match(rid):
        where = f"{where} {rid}"
    context = {
        "roles": vocab.roles,
        "profiles": vocab.profiles,
        "media": vocab.media,
        "features": vocab.features,
    }
    try:
        e = _RequirementEntry.model_validate(entry, context=context)
    except ValidationError as exc:
        found.extend(problems(exc, _RequirementEntry, where))
        return None
    return Requirement(
        id=e.id,
        text=e.text,
        source=e.source,
        level=e.level,
        roles=tuple(e.roles),
        profiles=tuple(e.profiles),
        status=e.status,
        media=tuple(e.media),
        feature=e.feature,
        params=tuple(e.params),
        out_of_scope=e.out_of_scope,
    )


def load_catalogue(directory: Path | str | None = None) -> Catalogue:
    """Load and validate every ``*.toml`` of ``directory`` (default: the shipped catalogue).

    Raises ``EhcError(CATALOGUE_INVALID)`` listing every problem found, not just the first.
    """
    directory = Path(directory) if directory is not None else REQUIREMENTS_DIR
    vocab = _load_vocabulary(directory)
    catalogue = Catalogue(vocab)
    found: list[str] = []
    files = sorted(p for p in directory.glob("*.toml") if p.name != VOCABULARY_FILE)
    if not files:
        raise EhcError(CATALOGUE_INVALID, f"no requirement files in {directory}")
    for path in files:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            found.append(f"{path.name}: {exc}")
            continue
        try:
            entries = _RequirementsFile.model_validate(data).requirement
        except ValidationError as exc:
            found.extend(problems(exc, _RequirementsFile, path.name))
            continue
        for index, entry in enumerate(entries):
            req = _check_entry(entry, f"{path.name}[{index}]", vocab, found)
            if req is None:
                continue
            if req.id in catalogue.requirements:
                other = catalogue.requirements[req.id].file
                found.append(f"{path.name}: duplicate id {req.id} (first in {other})")
                continue
            catalogue.requirements[req.id] = Requirement(**{**req.__dict__, "file": path.name})
    if found:
        raise error(CATALOGUE_INVALID, found, HINT)
    return catalogue


_DEFAULT: Catalogue | None = None


def default_catalogue() -> Catalogue:
    """The shipped catalogue, loaded once per process."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load_catalogue()
    return _DEFAULT
