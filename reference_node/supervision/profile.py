"""The supervision profile: every rule the seeds leave open, in one configurable place.

Defaults follow seed 000 (Jining 2019 plan) and seed 001 (Jining 2021 notice); the choices the
seeds are silent on (visit definition, yellow margin, minimum volume, escalation count) are in
docs/assumptions.md ("supervision") with the reason for each value.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from reference_node.config import PRIORITY_GROUPS

KPI_COVERAGE = "coverage"
KPI_ECARD_SHARE = "ecard_share"
KPI_PHYSICAL_SHARE = "physical_share"
# coverage of a priority group (seed 003: the poor; seed 004: the poor, employees, family-planning
# beneficiaries, birth registrants, newborns): its registered members holding a card ÷ its registered
# members (the node knows the group from registration: config.PRIORITY_GROUPS)
GROUP_KPIS = {group: "coverage_" + group.replace("-", "_") for group in PRIORITY_GROUPS}
KPI_COVERAGE_POVERTY = GROUP_KPIS["poverty"]
KPIS = (KPI_COVERAGE, KPI_ECARD_SHARE, KPI_PHYSICAL_SHARE, *GROUP_KPIS.values())
# profile kpi.coverage[].population -> KPI ("" or "all": the resident population)
POPULATIONS = {"": KPI_COVERAGE, "all": KPI_COVERAGE, **GROUP_KPIS}

AT_LEAST = ">="
AT_MOST = "<="

BLUE, YELLOW, RED, UNRATED = "blue", "yellow", "red", "unrated"
SEVERITY = {UNRATED: 0, BLUE: 1, YELLOW: 2, RED: 3}


@dataclass(frozen=True)
class Target:
    """One target: in force from ``start`` until the next target of the same KPI starts."""

    kpi: str
    comparison: str  # AT_LEAST or AT_MOST
    threshold: float  # a fraction, 0.30 = 30 %
    start: str  # ISO date the target comes into force
    deadline: str  # ISO date by which the seed wants it met (shown to officers)
    levels: tuple[str, ...] = ()  # organisation levels it applies to (share KPIs); () = all
    source: str = ""
    # coverage of one county or district only (the profile's pilot area, kpi entry ``area``); "" = any
    area_code: str = ""

    def met_by(self, value: float) -> bool:
        return value >= self.threshold if self.comparison == AT_LEAST else value <= self.threshold


DEFAULT_TARGETS: tuple[Target, ...] = (
    Target(KPI_COVERAGE, AT_LEAST, 0.50, "2019-03-21", "2019-12-31", (), "seed 000 §四(五): 2019年12月底 ≥ 50%"),
    Target(KPI_COVERAGE, AT_LEAST, 0.80, "2020-01-01", "2020-12-31", (), "seed 000 §四(六): 2020年底 ≥ 80%"),
    Target(KPI_ECARD_SHARE, AT_LEAST, 0.30, "2019-07-01", "2019-12-31", ("3",), "seed 000 §四(五): 三级医院 2019H2 ≥ 30%"),
    Target(KPI_ECARD_SHARE, AT_LEAST, 0.80, "2020-07-01", "2020-12-31", ("3",), "seed 000 §四(六): 三级医院 2020H2 ≥ 80%"),
    Target(KPI_PHYSICAL_SHARE, AT_MOST, 0.30, "2021-05-20", "2021-06-30", ("3", "2", "1", "0"), "seed 001 §二: 6月底 ≤ 30%"),
    Target(KPI_PHYSICAL_SHARE, AT_MOST, 0.05, "2021-07-01", "2021-09-30", ("3", "2", "1", "0"), "seed 001 §二: 9月底 ≤ 5%"),
)  # fmt: skip


@dataclass(frozen=True)
class SupervisionProfile:
    targets: tuple[Target, ...] = DEFAULT_TARGETS
    # yellow: short of the target by at most this many percentage points (as a fraction)
    yellow_margin: float = 0.10
    # a hospital with fewer visits in the rated period is "unrated" (too few to judge)
    min_visits: int = 30
    # reds in the weekly notices of the range that put an entity on the interview list (seed 001: 2)
    escalation_reds: int = 2
    # a visit: a usage event with one of these scenes (registration that opens a visit) ...
    visit_scenes: tuple[str, ...] = ("010101", "0101012", "0101019")
    # ... of one of these visit types ('' = not reported; outpatient and emergency count) ...
    visit_types: tuple[str, ...] = ("O", "E", "")
    # ... counted once per (hospital, hospital's calendar day, card identifier)
    ecard_media: tuple[str, ...] = ("11", "12")  # e-card QR, temporary e-card
    physical_media: tuple[str, ...] = ("80",)  # legacy hospital card 就诊卡
    coverage_media: tuple[int, ...] = (3,)  # main-index media counting as a held card (3 居民健康卡)
    time_zone: str = "Asia/Shanghai"
    # the profile's pilot county/district (area.county / area.district; the node's config): reported
    # on its own in the KPIs; "" = none
    pilot_area: str = ""

    def target_for(self, kpi: str, on: date, level: str | None = None, area: str = "") -> Target | None:
        """The target of ``kpi`` in force on ``on`` (None before the first one starts); for ``area``
        a target of that very area wins over the general one once it has started."""
        found = None
        for scope in (area, "") if area else ("",):
            for t in sorted((t for t in self.targets if t.kpi == kpi and t.area_code == scope),
                            key=lambda t: t.start):  # fmt: skip
                if date.fromisoformat(t.start) <= on:
                    found = t
            if found is not None:
                break
        if found is not None and level is not None and found.levels and level not in found.levels:
            return None
        return found

    def rate(self, value: float, target: Target) -> str:
        if target.met_by(value):
            return BLUE
        gap = target.threshold - value if target.comparison == AT_LEAST else value - target.threshold
        return YELLOW if gap <= self.yellow_margin + 1e-12 else RED

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SupervisionProfile:
        data = dict(data)
        if "targets" in data:
            data["targets"] = tuple(
                Target(**{**t, "levels": tuple(t.get("levels", ()))}) for t in data["targets"]
            )
        for key in ("visit_scenes", "visit_types", "ecard_media", "physical_media", "coverage_media"):
            if key in data:
                data[key] = tuple(data[key])
        return replace(cls(), **data)

    @classmethod
    def from_file(cls, path: str | Path) -> SupervisionProfile:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


ALL_LEVELS = ("3", "2", "1", "0")
AREA_KEYS = ("county", "district")  # [parameters.area] keys a coverage entry's ``area`` may name
_KPI_KEYS = {  # profile [parameters.kpi] key -> (KPI, comparison, bound key, default levels)
    "coverage": (KPI_COVERAGE, AT_LEAST, "min", ()),
    "ecard_visit_share": (KPI_ECARD_SHARE, AT_LEAST, "min", ("3",)),  # seed 000: tertiary hospitals
    "physical_card_share": (KPI_PHYSICAL_SHARE, AT_MOST, "max", ALL_LEVELS),
}


def _half_year(period: str) -> tuple[str, str]:
    """'2019H2' -> ('2019-07-01', '2019-12-31')."""
    year, half = period[:4], period[4:]
    if not year.isdigit() or half not in ("H1", "H2"):
        raise ValueError(f"period {period!r} is not YYYYH1 or YYYYH2")
    return (f"{year}-01-01", f"{year}-06-30") if half == "H1" else (f"{year}-07-01", f"{year}-12-31")


def targets_from_kpi(
    kpi: dict[str, Any], profile: str, areas: dict[str, Any] | None = None
) -> tuple[Target, ...]:
    """The targets of a profile's ``[parameters.kpi]``: ``until`` entries come into force the day
    after the previous one of the same KPI and area (the first on its ``from``, else when the rating
    starts), ``period`` entries (YYYYH1/H2) for that half-year; a coverage entry with ``area =
    "county"`` (or ``"district"``) is the target of the profile's ``[parameters.area]`` county alone.
    ValueError on a malformed entry."""
    out: list[Target] = []
    for key, (name, comparison, bound, levels) in _KPI_KEYS.items():
        starts: dict[tuple[str, str], str] = {}
        for i, entry in enumerate(kpi.get(key, [])):
            if not isinstance(entry, dict) or not isinstance(entry.get(bound), int | float):
                raise ValueError(f"kpi.{key}[{i}] needs a numeric {bound!r}")
            group = str(entry.get("population", ""))
            if group not in POPULATIONS or (group and key != "coverage"):
                raise ValueError(
                    f"kpi.{key}[{i}].population {group!r}: coverage takes one of {sorted(POPULATIONS)}"
                )
            kpi_name = POPULATIONS[group] if key == "coverage" else name
            scope = str(entry.get("area", ""))
            if scope and (key != "coverage" or scope not in AREA_KEYS or not (areas or {}).get(scope)):
                raise ValueError(
                    f"kpi.{key}[{i}].area {scope!r}: a coverage entry may name area.county or "
                    "area.district, which the profile must set"
                )
            area_code = str((areas or {}).get(scope, "")) if scope else ""
            start = starts.get((kpi_name, area_code), "")
            if "period" in entry:
                first, deadline = _half_year(str(entry["period"]))
            else:
                deadline = str(entry["until"])
                first = str(entry.get("from") or start or "2000-01-01")
            date.fromisoformat(first), date.fromisoformat(deadline)  # noqa: B018 - validates both
            out.append(Target(
                kpi_name, comparison, float(entry[bound]), first, deadline,
                tuple(entry.get("levels", levels)), f"profile {profile}: kpi.{key}[{i}]", area_code,
            ))  # fmt: skip
            starts[(kpi_name, area_code)] = (date.fromisoformat(deadline) + timedelta(days=1)).isoformat()
    return tuple(out)


def from_profile_params(params: dict[str, Any], profile: str) -> SupervisionProfile:
    """The supervision rules of a profile: its KPI targets and rating rule (red marks that put an
    entity on the interview list)."""
    kpi = params.get("kpi", {}) or {}
    rating = kpi.get("rating", {}) or {}
    return replace(
        SupervisionProfile(),
        targets=targets_from_kpi(kpi, profile, params.get("area", {}) or {}),
        escalation_reds=int(rating.get("red_marks_for_interview", SupervisionProfile.escalation_reds)),
    )


def worst(colours: list[str]) -> str:
    return max(colours, key=SEVERITY.__getitem__) if colours else UNRATED


__all__ = ["SupervisionProfile", "Target", "DEFAULT_TARGETS", "worst", "field"]
