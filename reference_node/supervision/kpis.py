"""The KPI engine: SQL aggregation over the node's usage, cards, media and organisations.

Definitions (docs/supervision.md):

* **visit** — a usage event whose scene opens a visit (profile ``visit_scenes``: registration
  step 010101, same-day registration 0101012, appointment check-in 0101019) with an outpatient or
  emergency visit type (or none reported), counted once per (hospital, hospital's calendar day,
  card identifier: the EHCID for e-card uses, the card number's blind index otherwise). A re-scan at
  the window or a second department the same day is one visit, not two.
* **e-card share** — visits whose medium is an e-card (``ecard_media``) ÷ all visits;
  **physical-card share** — visits with a legacy hospital card (``physical_media``) ÷ all visits.
* **coverage** — residents (persons of the area, not merged away) holding an e-card or a resident
  health card at the end of the period ÷ the area's resident population (imported figures).

The database does the counting (one grouped query per question); Python only folds the grouped
rows (hospital × day × medium class: a few hundred thousand at most) into weeks and areas.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from ehc.spec import areas
from reference_node.config import PRIORITY_GROUPS
from reference_node.policy import REFUSED_ACTION
from reference_node.store.db import Database
from reference_node.supervision import population
from reference_node.supervision.periods import Period, cst_day
from reference_node.supervision.profile import (
    GROUP_KPIS,
    KPI_COVERAGE,
    KPI_ECARD_SHARE,
    KPI_PHYSICAL_SHARE,
    RED,
    UNRATED,
    SupervisionProfile,
    Target,
    worst,
)
from reference_node.supervision.schema import ensure_schema

FOREVER = "99999999999999"
LEVEL_NAMES = {"3": "tertiary", "2": "secondary", "1": "primary", "0": "village", "9": "other"}


def area_prefix(code: str) -> str:
    """GB/T 2260 prefix of everything inside ``code``: 370800 → 3708, 370000 → 37, 370811 → 370811."""
    if not code:
        return ""
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


@dataclass
class Counts:
    """Visits of one entity in one span: all, by e-card, by legacy hospital card."""

    visits: int = 0
    ecard: int = 0
    physical: int = 0

    def add(self, other: Counts) -> None:
        self.visits += other.visits
        self.ecard += other.ecard
        self.physical += other.physical

    def share(self, kpi: str) -> float | None:
        if self.visits == 0:
            return None
        return (self.ecard if kpi == KPI_ECARD_SHARE else self.physical) / self.visits


@dataclass
class Org:
    code: str
    name: str
    level: str
    area_code: str


@dataclass
class Mark:
    kpi: str
    value: float | None
    colour: str
    target: Target | None
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kpi": self.kpi, "colour": self.colour, "reason": self.reason}
        if self.value is not None:
            d["value"] = round(self.value, 6)
            d["has_value"] = True
        if self.target is not None:
            d["target"] = _target_dict(self.target)
        return d


@dataclass
class Snapshot:
    """Everything the ratings of one span need: per-org visit counts, holders and population per county."""

    start: date
    end: date
    orgs: dict[str, Counts] = field(default_factory=dict)
    holders: dict[str, int] = field(default_factory=dict)  # county -> holders at span end


def _target_dict(t: Target) -> dict[str, Any]:
    return {
        "kpi": t.kpi,
        "comparison": t.comparison,
        "threshold": t.threshold,
        "start": t.start,
        "deadline": t.deadline,
        "levels": list(t.levels),
        "source": t.source,
        "area_code": t.area_code,
    }


class KpiEngine:
    def __init__(self, db: Database, profile: SupervisionProfile | None = None) -> None:
        self.db = db
        self.profile = profile or SupervisionProfile()
        ensure_schema(db)

    # ------------------------------------------------------------------ raw aggregates (SQL)
    def organisations(self, area_code: str = "", org_code: str = "") -> dict[str, Org]:
        where, params = ["level <> '9'"], []
        if org_code:
            where, params = ["code = ?"], [org_code]
        elif area_code:
            where.append("area_code LIKE ?")
            params.append(area_prefix(area_code) + "%")
        rows = self.db.query(
            f"SELECT code, name, level, area_code FROM organisations WHERE {' AND '.join(where)} ORDER BY code",
            params,
        )
        return {r[0]: Org(r[0], r[1], r[2], r[3]) for r in rows}

    def visits_by_day(
        self, period: Period, area_code: str = "", org_code: str = ""
    ) -> list[tuple[str, str, int, int, int]]:
        """(org, CST day YYYYMMDD, visits, e-card visits, legacy-card visits), one row per org and day."""
        p = self.profile
        lo, hi = period.bounds()
        where = [
            "time >= ?",
            "time < ?",
            f"scene IN ({_marks(p.visit_scenes)})",
            f"visit_type IN ({_marks(p.visit_types)})",
        ]
        params: list[Any] = [lo, hi, *p.visit_scenes, *p.visit_types]
        if org_code:
            where.append("org_code = ?")
            params.append(org_code)
        elif area_code:
            where.append("org_code IN (SELECT code FROM organisations WHERE area_code LIKE ?)")
            params.append(area_prefix(area_code) + "%")
        sql = (
            "SELECT org_code, day, COUNT(*), SUM(CASE WHEN cls = 'e' THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN cls = 'p' THEN 1 ELSE 0 END) FROM ("
            "SELECT DISTINCT org_code, substr(time, 1, 8) AS day, card_type, "
            f"CASE WHEN card_type IN ({_marks(p.ecard_media)}) THEN 'e' "
            f"WHEN card_type IN ({_marks(p.physical_media)}) THEN 'p' ELSE 'o' END AS cls, "
            "CASE WHEN ehcid <> '' THEN ehcid ELSE card_number_blind END AS who "
            f"FROM usage WHERE {' AND '.join(where)}) v GROUP BY org_code, day ORDER BY org_code, day"
        )  # fmt: skip
        params = [*p.ecard_media, *p.physical_media, *params]
        return [(r[0], r[1], int(r[2]), int(r[3] or 0), int(r[4] or 0)) for r in self.db.query(sql, params)]

    def hospital_cards_refused(self, period: Period, area_code: str = "", org_code: str = "") -> int:
        """Presentations of a legacy hospital card the node refused in the period (Resolve or usage
        report after the profile's stop-using date; audited by reference_node.policy)."""
        lo, hi = period.bounds()
        where, params = ["action = ?", "time >= ?", "time < ?"], [REFUSED_ACTION, lo, hi]
        if org_code:
            where.append("org_code = ?")
            params.append(org_code)
        elif area_code:
            where.append("org_code IN (SELECT code FROM organisations WHERE area_code LIKE ?)")
            params.append(area_prefix(area_code) + "%")
        row = self.db.one(f"SELECT COUNT(*) FROM audit WHERE {' AND '.join(where)}", params)
        return int(row[0]) if row else 0

    def _holders_cte(self) -> tuple[str, list[Any]]:
        media = self.profile.coverage_media
        sql = (
            "WITH h AS ("
            f"SELECT main_index, issued_at AS since, CASE WHEN status = 3 THEN updated_at ELSE '{FOREVER}' END AS until FROM cards "
            f"UNION ALL SELECT main_index, created_at, '{FOREVER}' FROM media "
            f"WHERE medium IN ({_marks(media)}) AND main_index IS NOT NULL"
            "), per AS (SELECT main_index, MIN(since) AS since, MAX(until) AS until FROM h GROUP BY main_index) "
        )  # fmt: skip
        return sql, list(media)

    def holders_at(self, instant: str, area_code: str = "") -> dict[str, int]:
        """County → residents holding a card at ``instant`` (node time string, exclusive)."""
        cte, params = self._holders_cte()
        where = ["p.merged_into IS NULL", "per.since < ?", "per.until >= ?"]
        params += [instant, instant]
        if area_code:
            where.append("p.area_code LIKE ?")
            params.append(area_prefix(area_code) + "%")
        rows = self.db.query(
            f"{cte}SELECT p.area_code, COUNT(*) FROM per JOIN persons p ON p.main_index = per.main_index "
            f"WHERE {' AND '.join(where)} GROUP BY p.area_code",
            params,
        )
        return {r[0]: int(r[1]) for r in rows}

    def group_coverage_at(self, instant: str, area_code: str = "") -> dict[str, tuple[int, int]]:
        """Priority group → (registered members holding a card at ``instant``, registered members),
        for every group of config.PRIORITY_GROUPS; one query over the persons in any group (the
        node knows the groups from registration: persons.poverty_relief and priority_groups)."""
        cte, params = self._holders_cte()
        where = [
            "p.merged_into IS NULL",
            "(p.poverty_relief = 1 OR p.priority_groups <> '')",
            "p.created_at < ?",
        ]
        where_params: list[Any] = [instant]
        if area_code:
            where.append("p.area_code LIKE ?")
            where_params.append(area_prefix(area_code) + "%")
        held = "per.since < ? AND per.until >= ?"
        cols, col_params = [], []
        for group in PRIORITY_GROUPS:
            member = (
                "p.poverty_relief = 1" if group == "poverty" else "(',' || p.priority_groups || ',') LIKE ?"
            )
            extra = [] if group == "poverty" else [f"%,{group},%"]
            cols += [f"SUM(CASE WHEN {member} THEN 1 ELSE 0 END)",
                     f"SUM(CASE WHEN {member} AND {held} THEN 1 ELSE 0 END)"]  # fmt: skip
            col_params += [*extra, *extra, instant, instant]
        row = self.db.one(
            f"{cte}SELECT {', '.join(cols)} FROM persons p LEFT JOIN per ON per.main_index = p.main_index "
            f"WHERE {' AND '.join(where)}",
            [*params, *col_params, *where_params],
        )
        row = row or (0,) * (2 * len(PRIORITY_GROUPS))
        return {
            group: (int(row[2 * i + 1] or 0), int(row[2 * i] or 0)) for i, group in enumerate(PRIORITY_GROUPS)
        }

    def poverty_coverage_at(self, instant: str, area_code: str = "") -> tuple[int, int]:
        """(members of the poverty group holding a card at ``instant``, registered members)."""
        return self.group_coverage_at(instant, area_code)["poverty"]

    def groups(self, instant: str, area_code: str, on: date) -> list[dict[str, Any]]:
        """A row per priority group the profile targets or the area has members of: members,
        holders, coverage, rated against the group's target in force on ``on``. The denominator
        is the group's size from its register when the operator set it for the area
        (SetPopulation with ``group``), else the registered members."""
        targeted = {t.kpi for t in self.profile.targets}
        sizes = population.load_groups(self.db)
        rows = []
        for group, (holders, members) in self.group_coverage_at(instant, area_code).items():
            kpi = GROUP_KPIS[group]
            size = population.population_of(sizes.get(group, {}), area_code) or 0
            if kpi not in targeted and not members and not size:
                continue
            base = size or members
            marks = []
            if (target := self.profile.target_for(kpi, on)) is not None:
                if not base:
                    marks.append(Mark(kpi, None, UNRATED, target, "no registered member of the group"))
                else:
                    value = holders / base
                    marks.append(Mark(kpi, value, self.profile.rate(value, target), target))
            rows.append({
                "group": group, "kpi": kpi, "name": PRIORITY_GROUPS[group], "members": members,
                "holders": holders, "population": size, "coverage": _ratio(holders, base),
                "rating": worst([m.colour for m in marks]), "marks": [m.to_dict() for m in marks],
            })  # fmt: skip
        return rows

    def holder_changes_by_day(self, area_code: str = "") -> tuple[dict[str, int], dict[str, int]]:
        """Day → residents who became holders that day, and who stopped holding (all cards cancelled)."""
        cte, params = self._holders_cte()
        where = ["p.merged_into IS NULL"]
        if area_code:
            where.append("p.area_code LIKE ?")
            params.append(area_prefix(area_code) + "%")
        base = f"FROM per JOIN persons p ON p.main_index = per.main_index WHERE {' AND '.join(where)}"
        gained = self.db.query(
            f"{cte}SELECT substr(per.since, 1, 8), COUNT(*) {base} GROUP BY substr(per.since, 1, 8)", params
        )
        lost = self.db.query(
            f"{cte}SELECT substr(per.until, 1, 8), COUNT(*) {base} AND per.until <> '{FOREVER}' GROUP BY substr(per.until, 1, 8)",
            params,
        )  # fmt: skip
        return {r[0]: int(r[1]) for r in gained}, {r[0]: int(r[1]) for r in lost}

    # ------------------------------------------------------------------ ratings
    def _rate_share(self, kpi: str, counts: Counts, level: str | None, on: date) -> Mark | None:
        target = self.profile.target_for(kpi, on, level)
        if target is None:
            return None
        value = counts.share(kpi)
        if counts.visits < self.profile.min_visits:
            return Mark(kpi, value, UNRATED, target, f"fewer than {self.profile.min_visits} visits")
        assert value is not None
        return Mark(kpi, value, self.profile.rate(value, target), target)

    def _rate_coverage(self, holders: int, pop: int | None, on: date, area: str = "") -> Mark | None:
        target = self.profile.target_for(KPI_COVERAGE, on, area=area)
        if target is None:
            return None
        if not pop:
            return Mark(KPI_COVERAGE, None, UNRATED, target, "no population figure")
        value = holders / pop
        return Mark(KPI_COVERAGE, value, self.profile.rate(value, target), target)

    def rate_snapshot(
        self, snap: Snapshot, orgs: dict[str, Org], pops: dict[str, int], counties: list[str]
    ) -> tuple[dict[str, list[Mark]], dict[str, list[Mark]], dict[str, Counts]]:
        """Marks per hospital and per county for one span (targets in force on its last day)."""
        on = snap.end
        org_marks: dict[str, list[Mark]] = {}
        county_counts: dict[str, Counts] = defaultdict(Counts)
        county_tertiary: dict[str, Counts] = defaultdict(Counts)
        for code, org in orgs.items():
            counts = snap.orgs.get(code, Counts())
            county_counts[org.area_code].add(counts)
            if org.level == "3":
                county_tertiary[org.area_code].add(counts)
            marks = [m for kpi in (KPI_ECARD_SHARE, KPI_PHYSICAL_SHARE)
                     if (m := self._rate_share(kpi, counts, org.level, on)) is not None]  # fmt: skip
            org_marks[code] = marks
        county_marks: dict[str, list[Mark]] = {}
        for county in counties:
            marks = []
            if (
                m := self._rate_coverage(snap.holders.get(county, 0), pops.get(county), on, county)
            ) is not None:
                marks.append(m)
            if county_tertiary[county].visits and (
                m := self._rate_share(KPI_ECARD_SHARE, county_tertiary[county], "3", on)
            ):
                marks.append(m)
            if county_counts[county].visits and (
                m := self._rate_share(KPI_PHYSICAL_SHARE, county_counts[county], None, on)
            ):
                marks.append(m)
            county_marks[county] = marks
        return org_marks, county_marks, county_counts

    # ------------------------------------------------------------------ reports
    def _counties(
        self, area_code: str, orgs: dict[str, Org], pops: dict[str, int], holders: dict[str, int]
    ) -> list[str]:
        prefix = area_prefix(area_code)
        found = {o.area_code for o in orgs.values()} | set(holders)
        found |= {a for a in pops if not a.endswith("00")}
        if len(prefix) == 4:
            found |= set(areas.counties_of(area_code)) & set(pops)
        return sorted(a for a in found if a.startswith(prefix) and len(a) == 6 and not a.endswith("00"))

    def _population(self, area_code: str) -> tuple[dict[str, int], int | None]:
        table = population.load(self.db)
        return table, population.population_of(table, area_code)

    def report(self, period: Period, area_code: str = "", org_code: str = "") -> dict[str, Any]:
        """KPIs of the period for the area (or one organisation): totals, levels, hospitals, counties,
        weekly trend, each rated against the targets in force on the last day."""
        orgs = self.organisations(area_code, org_code)
        daily = self.visits_by_day(period, area_code, org_code)
        lo, hi = period.bounds()
        holders = self.holders_at(hi, area_code)
        pops, total_pop = self._population(area_code)
        counties = (
            self._counties(area_code, orgs, pops, holders)
            if not org_code
            else sorted({o.area_code for o in orgs.values()})
        )
        pilot = self.profile.pilot_area
        if not (pilot and not org_code and pilot.startswith(area_prefix(area_code))):
            pilot = ""  # the pilot county/district is reported when the report's area holds it
        elif pilot not in counties:
            counties = sorted({*counties, pilot})

        per_org: dict[str, Counts] = defaultdict(Counts)
        for org_code, _day, n, e, p in daily:
            per_org[org_code].add(Counts(n, e, p))
            if org_code not in orgs:  # usage at an organisation missing from the registry still counts
                orgs[org_code] = Org(org_code, "(not in registry)", "9", "")
        snap = Snapshot(period.start, period.end, dict(per_org), holders)
        org_marks, county_marks, county_counts = self.rate_snapshot(snap, orgs, pops, counties)

        total = Counts()
        by_level: dict[str, Counts] = defaultdict(Counts)
        for code, c in per_org.items():
            total.add(c)
            by_level[orgs[code].level].add(c)
        total_holders = sum(holders.values())

        hospitals = []
        for code, org in orgs.items():
            c = per_org.get(code, Counts())
            marks = org_marks.get(code, [])
            hospitals.append({
                "org_code": code, "org_name": org.name, "level": org.level, "area_code": org.area_code,
                "area_name": areas.area_name(org.area_code) if org.area_code and areas.is_known_area(org.area_code) else "",
                **_counts_dict(c), "rating": worst([m.colour for m in marks]), "marks": [m.to_dict() for m in marks],
            })  # fmt: skip
        hospitals.sort(key=lambda h: (-_severity(h["rating"]), h["level"] != "3", h["org_code"]))
        county_rows = []
        for county in counties:
            c = county_counts.get(county, Counts())
            marks = county_marks.get(county, [])
            pop = pops.get(county)
            county_rows.append({
                "area_code": county, "area_name": areas.area_name(county) if areas.is_known_area(county) else "",
                "population": pop or 0, "holders": holders.get(county, 0),
                "coverage": _ratio(holders.get(county, 0), pop), **_counts_dict(c),
                "rating": worst([m.colour for m in marks]), "marks": [m.to_dict() for m in marks],
            })  # fmt: skip
        coverage_mark = self._rate_coverage(total_holders, total_pop, period.end, area_code)
        tertiary = by_level.get("3", Counts())
        groups = self.groups(hi, area_code, period.end) if not org_code else []
        summary_marks = [m for m in (
            coverage_mark,
            self._rate_share(KPI_ECARD_SHARE, tertiary, "3", period.end) if tertiary.visits else None,
            self._rate_share(KPI_PHYSICAL_SHARE, total, None, period.end) if total.visits else None,
        ) if m is not None]  # fmt: skip
        group_marks = [m for g in groups for m in g["marks"]]  # already dicts: the priority groups'
        return {
            "period": period.describe(),
            "area_code": area_code,
            "area_name": areas.area_name(area_code) if area_code and areas.is_known_area(area_code) else "",
            "org_code": org_code,
            "summary": {
                **_counts_dict(total),
                "population": total_pop or 0,
                "holders": total_holders,
                "coverage": _ratio(total_holders, total_pop),
                "tertiary_visits": tertiary.visits,
                "tertiary_ecard_visits": tertiary.ecard,
                "tertiary_ecard_share": _ratio(tertiary.ecard, tertiary.visits),
                "rating": worst([m.colour for m in summary_marks] + [m["colour"] for m in group_marks]),
                "marks": [m.to_dict() for m in summary_marks[:1]]
                + group_marks
                + [m.to_dict() for m in summary_marks[1:]],
                "hospital_cards_refused": self.hospital_cards_refused(period, area_code, org_code),
            },  # fmt: skip
            "levels": [
                {"level": lvl, "level_name": LEVEL_NAMES.get(lvl, lvl), **_counts_dict(c)}
                for lvl, c in sorted(by_level.items(), key=lambda kv: -int(kv[0]) if kv[0].isdigit() else 0)
            ],
            "hospitals": hospitals,
            "counties": county_rows,
            # the profile's pilot county/district (area.county / area.district), rated against its own
            # coverage target: seed 003 祁东县 all residents by end-2018; seed 002 淄川区's own plan
            **({"pilot": next(r for r in county_rows if r["area_code"] == pilot)} if pilot else {}),
            "groups": groups,  # coverage of each priority group (seed 003: the poor; seed 004: five groups)
            "trend": self._trend(period, daily, area_code, total_pop),
            "targets": [_target_dict(t) for t in self.profile.targets],
        }

    def _trend(self, period: Period, daily: list[tuple[str, str, int, int, int]], area_code: str,
               pop: int | None) -> list[dict[str, Any]]:  # fmt: skip
        """Weekly points (Monday-to-Sunday, clipped to the period): visits by medium and coverage at week end."""
        per_day: dict[str, Counts] = defaultdict(Counts)
        for _org, day, n, e, p in daily:
            per_day[day].add(Counts(n, e, p))
        gained, lost = self.holder_changes_by_day(area_code)
        points = []
        for ws, we in period.weeks():
            c = Counts()
            d = ws
            while d <= we:
                c.add(per_day.get(d.strftime("%Y%m%d"), Counts()))
                d += timedelta(days=1)
            last = we.strftime("%Y%m%d")
            held = sum(v for k, v in gained.items() if k <= last) - sum(
                v for k, v in lost.items() if k <= last
            )
            points.append({
                "week_start": ws.isoformat(), "week_end": we.isoformat(), **_counts_dict(c),
                "holders": held, "coverage": _ratio(held, pop),
            })  # fmt: skip
        return points

    def weekly_snapshots(self, period: Period, area_code: str = "") -> tuple[list[Snapshot], dict[str, Org]]:
        orgs = self.organisations(area_code)
        daily = self.visits_by_day(period, area_code)
        gained_by_area = self._holder_changes_by_area(area_code)
        snaps = []
        for ws, we in period.weeks():
            snap = Snapshot(ws, we)
            lo, hi = ws.strftime("%Y%m%d"), we.strftime("%Y%m%d")
            for org, day, n, e, p in daily:
                if lo <= day <= hi:
                    snap.orgs.setdefault(org, Counts()).add(Counts(n, e, p))
            for county, (gained, lost) in gained_by_area.items():
                snap.holders[county] = sum(v for k, v in gained.items() if k <= hi) - sum(
                    v for k, v in lost.items() if k <= hi
                )
            snaps.append(snap)
        return snaps, orgs

    def _holder_changes_by_area(self, area_code: str) -> dict[str, tuple[dict[str, int], dict[str, int]]]:
        cte, params = self._holders_cte()
        where = ["p.merged_into IS NULL"]
        if area_code:
            where.append("p.area_code LIKE ?")
            params.append(area_prefix(area_code) + "%")
        base = f"FROM per JOIN persons p ON p.main_index = per.main_index WHERE {' AND '.join(where)}"
        out: dict[str, tuple[dict[str, int], dict[str, int]]] = defaultdict(lambda: ({}, {}))
        for area, day, n in self.db.query(
            f"{cte}SELECT p.area_code, substr(per.since, 1, 8), COUNT(*) {base} GROUP BY p.area_code, substr(per.since, 1, 8)",
            params,
        ):  # fmt: skip
            out[area][0][day] = int(n)
        for area, day, n in self.db.query(
            f"{cte}SELECT p.area_code, substr(per.until, 1, 8), COUNT(*) {base} AND per.until <> '{FOREVER}' "
            "GROUP BY p.area_code, substr(per.until, 1, 8)",
            params,
        ):
            out[area][1][day] = int(n)
        return dict(out)

    def ratings(self, period: Period, area_code: str = "", org_code: str = "") -> dict[str, Any]:
        """Flat list of marks (one per entity and KPI) for the period: what a notice lists."""
        rep = self.report(period, area_code, org_code)
        rows = []
        for h in rep["hospitals"]:
            for m in h["marks"]:
                rows.append({"entity": "hospital", "code": h["org_code"], "name": h["org_name"], "level": h["level"],
                             "area_code": h["area_code"], "visits": h["visits"], **m})  # fmt: skip
        for c in rep["counties"]:
            for m in c["marks"]:
                rows.append({"entity": "county", "code": c["area_code"], "name": c["area_name"], "level": "",
                             "area_code": c["area_code"], "visits": c["visits"], **m})  # fmt: skip
        order = {RED: 0, "yellow": 1, "blue": 2, UNRATED: 3}
        rows.sort(key=lambda r: (order[r["colour"]], r["entity"], r["code"], r["kpi"]))
        return {"period": rep["period"], "area_code": area_code, "ratings": rows,
                "rule": self.rule_text()}  # fmt: skip

    def escalations(self, period: Period, area_code: str = "") -> dict[str, Any]:
        """Weekly notices over the period; entities with ``escalation_reds`` red weeks or more."""
        snaps, orgs = self.weekly_snapshots(period, area_code)
        pops, _ = self._population(area_code)
        holders_areas = {a for s in snaps for a in s.holders}
        counties = self._counties(area_code, orgs, pops, dict.fromkeys(holders_areas, 0))
        reds: dict[tuple[str, str], list[str]] = defaultdict(list)
        names: dict[tuple[str, str], str] = {}
        weeks = []
        for snap in snaps:
            org_marks, county_marks, _ = self.rate_snapshot(snap, orgs, pops, counties)
            week = snap.start.isoformat()
            counted = {"blue": 0, "yellow": 0, "red": 0, "unrated": 0}
            for kind, marks_by in (("hospital", org_marks), ("county", county_marks)):
                for code, marks in marks_by.items():
                    colour = worst([m.colour for m in marks])
                    counted[colour] += 1
                    if colour == RED:
                        reds[(kind, code)].append(week)
            weeks.append({"week_start": week, "week_end": snap.end.isoformat(), **counted})
        for code, org in orgs.items():
            names[("hospital", code)] = org.name
        for county in counties:
            names[("county", county)] = (areas.area_name(county) or "") if areas.is_known_area(county) else ""
        listed: list[dict[str, Any]] = [
            {
                "entity": kind,
                "code": code,
                "name": names.get((kind, code), ""),
                "red_weeks": wks,
                "reds": len(wks),
            }
            for (kind, code), wks in reds.items()
            if len(wks) >= self.profile.escalation_reds
        ]
        listed.sort(key=lambda e: (-e["reds"], e["entity"], e["code"]))
        return {"period": period.describe(), "area_code": area_code, "threshold_reds": self.profile.escalation_reds,
                "weeks": weeks, "escalations": listed}  # fmt: skip

    def rule_text(self) -> str:
        m = round(self.profile.yellow_margin * 100, 2)
        return (
            f"blue: target met; yellow: short of the target by at most {m:g} percentage points; red: "
            f"further short; unrated: fewer than {self.profile.min_visits} visits or no population "
            "figure. A hospital's or county's colour is its worst mark; targets in force on the last day."
        )


def _marks(values: tuple[Any, ...] | list[Any]) -> str:
    return ", ".join("?" for _ in values) or "NULL"


def _ratio(num: int, den: int | None) -> float:
    return round(num / den, 6) if den else 0.0


def _counts_dict(c: Counts) -> dict[str, Any]:
    return {
        "visits": c.visits,
        "ecard_visits": c.ecard,
        "physical_visits": c.physical,
        "ecard_share": _ratio(c.ecard, c.visits),
        "physical_share": _ratio(c.physical, c.visits),
    }


def _severity(colour: str) -> int:
    from reference_node.supervision.profile import SEVERITY

    return SEVERITY[colour]


__all__ = ["KpiEngine", "area_prefix", "Counts", "cst_day"]
