"""Demo data for the dashboard: organisations of the seed cities, a synthetic population registered
through the node's own batch registration (issue dates back-dated along county adoption curves),
population figures, and a usage history 2019-07-01 .. 2021-10-31 in which hospitals adopt the
e-card at different speeds and retire the legacy 就诊卡 (some too slowly, so notices have reds).

Everything is TEST-ONLY and deterministic for a given seed. ``ehc node serve --demo-data`` runs it
once (skipped when the demo organisations already have history).
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from ehc.spec import areas
from reference_node.node import Caller, Node
from reference_node.supervision import population
from reference_node.supervision.history import bulk_insert_usage, upsert_organisations, usage_row
from reference_node.supervision.schema import ensure_schema

HISTORY_START = date(2019, 7, 1)
HISTORY_END = date(2021, 10, 31)
DAILY_VISITS = {"3": 14, "2": 5, "1": 2, "0": 1}
OTHER_MEDIA = ("20", "30", "10", "31")  # ID card, social security card, resident health card, e-SSC


@dataclass(frozen=True)
class DemoOrg:
    code: str
    name: str
    level: str
    area: str
    speed: float  # adoption: months from 2019-07 to half of the e-card ceiling
    ceiling: float  # e-card share it tends to
    legacy_floor: float  # legacy-card share it never goes below (laggards)


def demo_organisations(seed: int = 7) -> list[DemoOrg]:
    rng = random.Random(seed)
    out: list[DemoOrg] = []
    for city in areas.SEED_CITIES:
        city_name = areas.area_name(city)
        counties = list(areas.counties_of(city))
        for i, suffix in enumerate(("第一人民医院", "中心医院")):
            out.append(_org(rng, f"{counties[0]}{i + 1:03d}", f"{city_name}{suffix}(演示)", "3", counties[0]))
        for county in counties:
            name = areas.area_name(county)
            out.append(_org(rng, f"{county}101", f"{name}人民医院(演示)", "2", county))
            out.append(_org(rng, f"{county}201", f"{name}中心卫生院(演示)", "1", county))
            out.append(_org(rng, f"{county}301", f"{name}第一村卫生室(演示)", "0", county))
    return out


def _org(rng: random.Random, code: str, name: str, level: str, area: str) -> DemoOrg:
    laggard = rng.random() < 0.18
    return DemoOrg(
        code, name, level, area,
        speed=rng.uniform(4, 10) * (2.2 if laggard else 1.0),
        ceiling=rng.uniform(0.55, 0.75) if laggard else rng.uniform(0.86, 0.97),
        legacy_floor=rng.uniform(0.10, 0.22) if laggard else rng.uniform(0.0, 0.02),
    )  # fmt: skip


def _months(d: date) -> float:
    return (d - HISTORY_START).days / 30.44


def shares(org: DemoOrg, day: date) -> tuple[float, float]:
    """(e-card share, legacy-card share) of the org's visits on ``day``."""
    t = _months(day)
    ecard = org.ceiling / (1 + math.exp(-(t - org.speed) / 2.5))
    # legacy cards dominate at first, then fall with the 2021 stop-issuing / stop-accepting dates
    legacy = 0.55 * (1 - ecard / max(org.ceiling, 1e-9)) + 0.25
    if day >= date(2021, 6, 1):
        legacy *= 0.35
    if day >= date(2021, 10, 1):
        legacy *= 0.3
    legacy = max(legacy, org.legacy_floor)
    return ecard, min(legacy, 1 - ecard)


def _visit_rows(
    orgs: list[DemoOrg], ehcids: list[str], rng: random.Random, scale: float
) -> Iterator[tuple[Any, ...]]:
    seq = 0
    day = HISTORY_START
    while day <= HISTORY_END:
        weekday_factor = 0.55 if day.weekday() >= 5 else 1.0
        stamp = day.strftime("%Y%m%d")
        for org in orgs:
            n = _poisson(rng, DAILY_VISITS[org.level] * scale * weekday_factor)
            if not n:
                continue
            e_share, p_share = shares(org, day)
            for _ in range(n):
                r = rng.random()
                when = f"{stamp}{rng.randint(7, 17):02d}{rng.randint(0, 59):02d}{rng.randint(0, 59):02d}"
                if r < e_share and ehcids:
                    kw = {"ehcid": rng.choice(ehcids)}
                    medium = "11"
                else:
                    medium = "80" if r < e_share + p_share else rng.choice(OTHER_MEDIA)
                    kw = {"card_blind": f"demo{rng.getrandbits(48):012x}"}
                scene = "0101012" if rng.random() < 0.8 else "0101019"
                seq += 1
                yield usage_row(seq, when, org.code, scene, medium, org_name=org.name, use_city=org.area[:4] + "00",
                                prefix="demo", **kw)  # fmt: skip
                if rng.random() < 0.5:  # the same visit read again at the cashier: not a second visit
                    seq += 1
                    pay = f"{stamp}{min(int(when[8:10]) + 1, 23):02d}{when[10:]}"
                    yield usage_row(seq, pay, org.code, "0101052", medium, org_name=org.name,
                                    use_city=org.area[:4] + "00", prefix="demo", **kw)  # fmt: skip
        day += timedelta(days=1)


def _poisson(rng: random.Random, lam: float) -> int:
    # Knuth's method: lam is small here (≤ ~20)
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def seed_demo(
    node: Node, *, residents_per_city: int = 1500, scale: float = 1.0, seed: int = 7
) -> dict[str, int]:
    """Seed the demo history once; returns what was written (zeros when already seeded)."""
    from fixtures.population import generate
    from reference_node.cli import person_request
    from reference_node.services.issuance import register_batch

    db = node.db
    ensure_schema(db)
    orgs = demo_organisations(seed)
    # an interrupted seeding is simply run again: every step is idempotent (same seed, same request ids)
    if db.one("SELECT 1 FROM supervision_meta WHERE key = 'demo_seeded'") is not None:
        return {"organisations": 0, "residents": 0, "registered": 0, "usage_rows": 0}
    upsert_organisations(db, ((o.code, o.name, o.level, o.area) for o in orgs))
    rng = random.Random(seed)
    # county adoption: month (from 2019-04) by which half of the residents hold a card
    county_mid = {c: rng.uniform(5, 16) for city in areas.SEED_CITIES for c in areas.counties_of(city)}
    figures: dict[str, int] = {}
    requests, areas_of = [], []
    for i, city in enumerate(areas.SEED_CITIES):
        for person in generate(region=city, count=residents_per_city, seed=seed + i):
            d = json.loads(person.to_json())
            figures[person.area_code] = figures.get(person.area_code, 0) + 1
            mid = county_mid.get(person.area_code, 10.0)
            if rng.random() < 0.93:  # some residents never register
                requests.append(person_request(d, "1"))
                areas_of.append(mid)
    population.set_population(db, figures, "demo: fixtures.population")
    admin = Caller("3708000009900", "370800000", 2, "370800")
    ehcids: list[str] = []
    issue_dates: list[tuple[str, str]] = []
    for result in register_batch(node, admin, iter(requests)):
        for item in result.items:
            if not item.ok:
                continue
            ehcid = item.ehcid
            ehcids.append(ehcid)
            months = max(0.0, rng.gauss(areas_of[item.index], 6.0))
            issued = datetime(2019, 4, 1) + timedelta(
                days=months * 30.44, seconds=rng.randint(8 * 3600, 18 * 3600)
            )
            issue_dates.append((min(issued, datetime(2021, 10, 31, 12)).strftime("%Y%m%d%H%M%S"), ehcid))
    with db.transaction() as cur:
        cur.many(
            "UPDATE cards SET issued_at = ?, updated_at = ? WHERE ehcid = ?",
            [(d, d, e) for d, e in issue_dates],
        )
    rows = bulk_insert_usage(db, _visit_rows(orgs, ehcids, rng, scale))
    with db.transaction() as cur:
        cur.run("INSERT INTO supervision_meta (key, value) VALUES ('demo_seeded', ?)", (node.now_text(),))
    return {
        "organisations": len(orgs),
        "residents": sum(figures.values()),
        "registered": len(ehcids),
        "usage_rows": rows,
    }
