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

from ehc.errors import EhcError

from .errors import CATALOGUE_INVALID

REQUIREMENTS_DIR = Path(__file__).with_name("requirements")
VOCABULARY_FILE = "vocabulary.toml"
ID_PATTERN = re.compile(r"^[A-Z]+(-[A-Z0-9]+)*-\d{3}$")
LEVELS = ("must", "should")
STATUSES = ("confirmed", "assumed")
_FIELDS = {
    "id",
    "text",
    "source",
    "level",
    "roles",
    "profiles",
    "status",
    "media",
    "feature",
    "params",
    "out_of_scope",
}


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


def _fail(problems: list[str]) -> EhcError:
    return EhcError(CATALOGUE_INVALID, "; ".join(problems[:20]), problems=len(problems))


def _load_vocabulary(directory: Path) -> Vocabulary:
    path = directory / VOCABULARY_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise EhcError(CATALOGUE_INVALID, f"{path.name}: {exc}") from None
    missing = [k for k in ("roles", "profiles", "media", "features") if k not in data]
    if missing:
        raise EhcError(CATALOGUE_INVALID, f"{path.name}: missing tables {missing}")
    return Vocabulary(data["roles"], data["profiles"], data["media"], data["features"])


def _as_tuple(value: object, where: str, name: str, problems: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(f"{where}: '{name}' must be a list of strings")
        return ()
    return tuple(value)


def _check_entry(entry: dict, where: str, vocab: Vocabulary, problems: list[str]) -> Requirement | None:
    unknown = set(entry) - _FIELDS
    if unknown:
        problems.append(f"{where}: unknown fields {sorted(unknown)}")
    rid = entry.get("id")
    if not isinstance(rid, str) or not ID_PATTERN.match(rid):
        problems.append(f"{where}: id {rid!r} does not match AREA-NNN")
        return None
    where = f"{where} {rid}"
    for key in ("text", "source"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            problems.append(f"{where}: '{key}' is required")
    if entry.get("level") not in LEVELS:
        problems.append(f"{where}: level must be one of {LEVELS}")
    if entry.get("status") not in STATUSES:
        problems.append(f"{where}: status must be one of {STATUSES}")
    roles = _as_tuple(entry.get("roles"), where, "roles", problems)
    profiles = _as_tuple(entry.get("profiles"), where, "profiles", problems)
    media = _as_tuple(entry.get("media"), where, "media", problems)
    params = _as_tuple(entry.get("params"), where, "params", problems)
    if not roles:
        problems.append(f"{where}: at least one role is required")
    if not profiles:
        problems.append(f"{where}: at least one profile is required")
    for kind, values, known in (
        ("role", roles, vocab.roles),
        ("profile", profiles, vocab.profiles),
        ("medium", media, vocab.media),
    ):
        for v in values:
            if v not in known:
                problems.append(f"{where}: unknown {kind} {v!r}")
    feature = entry.get("feature")
    if feature is not None and feature not in vocab.features:
        problems.append(f"{where}: unknown feature {feature!r}")
    oos = entry.get("out_of_scope")
    if oos is not None and (not isinstance(oos, str) or len(oos.strip()) < 10):
        problems.append(f"{where}: out_of_scope must give a reason (at least 10 characters)")
    return Requirement(
        id=rid,
        text=str(entry.get("text", "")),
        source=str(entry.get("source", "")),
        level=str(entry.get("level", "")),
        roles=roles,
        profiles=profiles,
        status=str(entry.get("status", "")),
        media=media,
        feature=feature,
        params=params,
        out_of_scope=oos,
    )


def load_catalogue(directory: Path | str | None = None) -> Catalogue:
    """Load and validate every ``*.toml`` of ``directory`` (default: the shipped catalogue).

    Raises ``EhcError(CATALOGUE_INVALID)`` listing every problem found, not just the first.
    """
    directory = Path(directory) if directory is not None else REQUIREMENTS_DIR
    vocab = _load_vocabulary(directory)
    catalogue = Catalogue(vocab)
    problems: list[str] = []
    files = sorted(p for p in directory.glob("*.toml") if p.name != VOCABULARY_FILE)
    if not files:
        raise EhcError(CATALOGUE_INVALID, f"no requirement files in {directory}")
    for path in files:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            problems.append(f"{path.name}: {exc}")
            continue
        entries = data.get("requirement", [])
        if not isinstance(entries, list):
            problems.append(f"{path.name}: 'requirement' must be an array of tables")
            continue
        for index, entry in enumerate(entries):
            req = _check_entry(entry, f"{path.name}[{index}]", vocab, problems)
            if req is None:
                continue
            if req.id in catalogue.requirements:
                other = catalogue.requirements[req.id].file
                problems.append(f"{path.name}: duplicate id {req.id} (first in {other})")
                continue
            catalogue.requirements[req.id] = Requirement(**{**req.__dict__, "file": path.name})
    if problems:
        raise _fail(problems)
    return catalogue


_DEFAULT: Catalogue | None = None


def default_catalogue() -> Catalogue:
    """The shipped catalogue, loaded once per process."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load_catalogue()
    return _DEFAULT
