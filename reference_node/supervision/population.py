"""Resident population per area (the coverage denominator), given to the node by an operator.

Sources: a ``code,population`` CSV (statistics bureau figures), the synthetic population JSON
Lines of ``fixtures.population`` (residents counted per area code), or the API. A city's figure
is its own row when there is one, else the sum of the rows inside it that have no ancestor row
(so counties are not counted twice when both a city and its counties are loaded).
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

from ehc.errors import EhcError
from ehc.spec import areas
from reference_node.config import fmt_time, now_cst
from reference_node.store.db import Database
from reference_node.supervision.errors import BAD_INPUT
from reference_node.supervision.schema import ensure_schema


def _prefix(code: str) -> str:
    from reference_node.supervision.kpis import area_prefix

    return area_prefix(code)


def set_population(db: Database, figures: Mapping[str, int], source: str) -> int:
    """Insert or replace figures; validates every area code and count first (all or nothing)."""
    ensure_schema(db)
    rows = []
    for code, count in figures.items():
        if not (isinstance(code, str) and len(code) == 6 and code.isdigit() and areas.is_known_area(code)):
            raise EhcError(
                BAD_INPUT, f"{str(code)[:12]!r} is not a known GB/T 2260 area code", field="area_code"
            )
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= 2_000_000_000:
            raise EhcError(BAD_INPUT, f"population of {code} must be a whole number ≥ 0", field="population")
        rows.append((code, count, source[:100], fmt_time(now_cst())))
    with db.transaction() as cur:
        cur.many(
            "INSERT INTO supervision_population (area_code, population, source, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (area_code) DO UPDATE SET population = excluded.population, source = excluded.source, "
            "updated_at = excluded.updated_at",
            rows,
        )
    return len(rows)


def set_group_population(db: Database, group: str, figures: Mapping[str, int], source: str) -> int:
    """Insert or replace a priority group's size per area (its own register: the 扶贫 roll,
    employers' lists, 计生 and birth registrations); validated first, all or nothing."""
    from reference_node.config import PRIORITY_GROUPS

    if group not in PRIORITY_GROUPS:
        raise EhcError(BAD_INPUT, f"group must be one of {', '.join(PRIORITY_GROUPS)}", field="group")
    ensure_schema(db)
    rows = []
    for code, count in figures.items():
        if not (isinstance(code, str) and len(code) == 6 and code.isdigit() and areas.is_known_area(code)):
            raise EhcError(
                BAD_INPUT, f"{str(code)[:12]!r} is not a known GB/T 2260 area code", field="area_code"
            )
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= 2_000_000_000:
            raise EhcError(
                BAD_INPUT, f"size of {group} in {code} must be a whole number ≥ 0", field="population"
            )
        rows.append((code, group, count, source[:100], fmt_time(now_cst())))
    with db.transaction() as cur:
        cur.many(
            "INSERT INTO supervision_group_population (area_code, grp, population, source, updated_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (area_code, grp) DO UPDATE SET population = excluded.population, "
            "source = excluded.source, updated_at = excluded.updated_at",
            rows,
        )
    return len(rows)


def load_groups(db: Database) -> dict[str, dict[str, int]]:
    """Group -> area -> the group's size there."""
    ensure_schema(db)
    out: dict[str, dict[str, int]] = {}
    for area, group, count in db.query("SELECT area_code, grp, population FROM supervision_group_population"):
        out.setdefault(group, {})[area] = int(count)
    return out


def load(db: Database) -> dict[str, int]:
    ensure_schema(db)
    return {r[0]: int(r[1]) for r in db.query("SELECT area_code, population FROM supervision_population")}


def population_of(table: Mapping[str, int], area_code: str) -> int | None:
    """The area's population: its own row, else the top-most rows inside it; None when unknown."""
    if area_code and area_code in table:
        return table[area_code]
    prefix = _prefix(area_code)
    inside = [a for a in table if a.startswith(prefix) and a != area_code]
    tops = [a for a in inside if not any(b != a and a.startswith(_prefix(b)) for b in inside)]
    return sum(table[a] for a in tops) if tops else None


def count_jsonl(lines: Iterable[str]) -> dict[str, int]:
    """Residents per area code in ``fixtures.population`` JSON Lines."""
    counts: Counter[str] = Counter()
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            counts[json.loads(line)["area_code"]] += 1
        except (ValueError, KeyError, TypeError):
            raise EhcError(BAD_INPUT, f"line {n} is not a population record with area_code") from None
    return dict(counts)


def parse_csv(text: str) -> dict[str, int]:
    """``area_code,population`` rows (a header line is allowed)."""
    out: dict[str, int] = {}
    for n, row in enumerate(csv.reader(io.StringIO(text)), 1):
        if not row or (n == 1 and not row[0].strip().isdigit()):
            continue
        try:
            out[row[0].strip()] = int(row[1])
        except (IndexError, ValueError):
            raise EhcError(BAD_INPUT, f"CSV line {n}: expected area_code,population") from None
    return out


def import_file(db: Database, path: str | Path) -> int:
    p = Path(path)
    with p.open(encoding="utf-8-sig") as fh:
        figures = count_jsonl(fh) if p.suffix in (".jsonl", ".json") else parse_csv(fh.read())
    return set_population(db, figures, f"file:{p.name}")
