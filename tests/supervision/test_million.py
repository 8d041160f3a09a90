"""A city-sized history: 1,000,000 usage events bulk-inserted into a real store, KPIs by SQL.

The expected visit counts are computed independently while generating (a Python set of
(hospital, day, card) per medium class); the node's SQL must agree exactly. Timings are printed
(figures in docs/performance.md), never asserted.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import date, timedelta

import numpy as np
import pytest

from reference_node.store.db import open_database
from reference_node.store.migrations import migrate
from reference_node.supervision.history import bulk_insert_usage, upsert_organisations, usage_row
from reference_node.supervision.kpis import KpiEngine
from reference_node.supervision.periods import Period

EVENTS = 1_000_000
START = date(2020, 1, 1)
DAYS = 366  # 2020
LEVELS = ["3"] * 8 + ["2"] * 22 + ["1"] * 40 + ["0"] * 30
COUNTIES = [
    "370811",
    "370812",
    "370826",
    "370827",
    "370828",
    "370829",
    "370830",
    "370831",
    "370832",
    "370881",
]
VISIT_SCENES = {"0101012", "0101019", "010101"}


def generate(seed: int = 1):
    """Usage rows in time order (as a node receives them) and ``expected`` (org → Counter of visit
    classes: e-card, legacy card, other), counted here with a Python set, independently of SQL."""
    rng = np.random.default_rng(seed)
    orgs = [(f"{COUNTIES[i % len(COUNTIES)]}{i:03d}", f"医院{i}", LEVELS[i], COUNTIES[i % len(COUNTIES)])
            for i in range(len(LEVELS))]  # fmt: skip
    weights = np.array([{"3": 40, "2": 12, "1": 4, "0": 1}[o[2]] for o in orgs], dtype=float)
    scenes = np.array(["0101012"] * 5 + ["0101019", "010101", "0101052", "0101039", "0101011", "0101081"])
    media = np.array(["11"] * 6 + ["80"] * 2 + ["20", "30", "10"])
    org_i = rng.choice(len(orgs), size=EVENTS, p=weights / weights.sum())
    seconds = np.sort(rng.integers(0, DAYS * 86400, size=EVENTS))
    scene_i = rng.integers(0, len(scenes), size=EVENTS)
    medium_i = rng.integers(0, len(media), size=EVENTS)
    person = rng.integers(0, 200_000, size=EVENTS)
    inpatient = rng.random(EVENTS) < 0.03
    day_text = [f"{START + timedelta(days=d):%Y%m%d}" for d in range(DAYS)]
    who_text = [f"{p:064X}" for p in range(200_000)]
    seen: set[tuple[str, str, str, str]] = set()
    expected: dict[str, Counter[str]] = {o[0]: Counter() for o in orgs}
    rows = []
    for seq in range(EVENTS):
        sec = int(seconds[seq])
        day, rest = divmod(sec, 86400)
        when = f"{day_text[day]}{rest // 3600:02d}{rest // 60 % 60:02d}{rest % 60:02d}"
        org = orgs[org_i[seq]][0]
        scene = str(scenes[scene_i[seq]])
        medium = str(media[medium_i[seq]])
        who = who_text[person[seq]] if medium == "11" else who_text[person[seq]][-16:]
        visit_type = "I" if inpatient[seq] else "O"
        kw = {"ehcid": who} if medium == "11" else {"card_blind": who}
        rows.append(usage_row(seq, when, org, scene, medium, visit_type=visit_type, **kw))
        if scene in VISIT_SCENES and visit_type == "O":
            key = (org, when[:8], medium, who)
            if key not in seen:
                seen.add(key)
                expected[org]["e" if medium == "11" else ("p" if medium == "80" else "o")] += 1
    return orgs, rows, expected


@pytest.mark.slow
def test_million_events_kpis(tmp_path, capsys):
    t0 = time.perf_counter()
    orgs, rows, expected = generate()
    t_gen = time.perf_counter() - t0
    db = open_database(None, tmp_path)
    migrate(db)
    upsert_organisations(db, orgs)
    t0 = time.perf_counter()
    assert bulk_insert_usage(db, rows) == EVENTS
    t_insert = time.perf_counter() - t0
    t0 = time.perf_counter()
    engine = KpiEngine(db)  # supervision migration on a full table: builds its index in one pass
    t_index = time.perf_counter() - t0
    del rows
    assert db.one("SELECT COUNT(*) FROM usage")[0] == EVENTS

    timings = {}
    t0 = time.perf_counter()
    rep = engine.report(Period.parse("2020-01-01", "2020-12-31"))
    timings["year, whole node"] = time.perf_counter() - t0
    got = {h["org_code"]: (h["visits"], h["ecard_visits"], h["physical_visits"]) for h in rep["hospitals"]}
    want = {o: (sum(c.values()), c["e"], c["p"]) for o, c in expected.items()}
    assert got == want
    assert rep["summary"]["visits"] == sum(v[0] for v in want.values())
    assert len(rep["trend"]) == 53  # Mondays of 2020 (starting Wed 01-01) + the clipped first week

    t0 = time.perf_counter()
    q = engine.report(Period.parse("2020-07-01", "2020-09-30"), "370811")
    timings["quarter, one county"] = time.perf_counter() - t0
    assert q["summary"]["visits"] > 0

    t0 = time.perf_counter()
    esc = engine.escalations(Period.parse("2020-01-01", "2020-12-31"))
    timings["escalations, 53 weekly notices"] = time.perf_counter() - t0
    assert len(esc["weeks"]) == 53

    with capsys.disabled():
        print(f"\n[supervision 1M] generate {t_gen:.1f} s, bulk insert {t_insert:.1f} s "
              f"({EVENTS / t_insert:,.0f} rows/s), supervision index {t_index:.1f} s, " + ", ".join(f"{k} {v:.2f} s" for k, v in timings.items()))  # fmt: skip
