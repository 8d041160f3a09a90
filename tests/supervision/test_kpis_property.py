"""Property: for any small history and any period/zone, the SQL visit counts equal a reference
model written directly from the definition in docs/supervision.md (Python, zoneinfo)."""

from __future__ import annotations

import tempfile
from collections import Counter
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from reference_node.store.db import open_database
from reference_node.store.migrations import migrate
from reference_node.supervision.history import bulk_insert_usage, upsert_organisations, usage_row
from reference_node.supervision.kpis import KpiEngine
from reference_node.supervision.periods import Period

CST = ZoneInfo("Asia/Shanghai")
ORGS = [("370811001", "A", "3", "370811"), ("370812101", "B", "2", "370812")]
FIRST_DAY = date(2019, 12, 29)
SCENES = ["0101012", "0101019", "010101", "0101011", "0101052", "0101039"]
VISIT_SCENES = {"0101012", "0101019", "010101"}

event = st.tuples(
    st.sampled_from([o[0] for o in ORGS]),
    st.integers(0, 5 * 86400 - 1),  # seconds after FIRST_DAY 00:00 CST
    st.sampled_from(SCENES),
    st.sampled_from(["11", "12", "80", "20", "30"]),
    st.sampled_from(["W1", "W2", "W3"]),
    st.sampled_from(["O", "E", "I", "H", ""]),
)


@lru_cache(maxsize=1)
def _engine() -> KpiEngine:
    db = open_database(None, Path(tempfile.mkdtemp(prefix="sv-prop-")))
    migrate(db)
    upsert_organisations(db, ORGS)
    return KpiEngine(db)


def reference(events, start: date, end: date, tz: str) -> dict[str, tuple[int, int, int]]:
    lo = datetime.combine(start, datetime.min.time(), ZoneInfo(tz))
    hi = datetime.combine(end + timedelta(days=1), datetime.min.time(), ZoneInfo(tz))
    keys: set[tuple[str, date, str, str]] = set()
    for org, sec, scene, medium, who, vt in events:
        when = datetime.combine(FIRST_DAY, datetime.min.time(), CST) + timedelta(seconds=sec)
        if lo <= when < hi and scene in VISIT_SCENES and vt in ("O", "E", ""):
            keys.add((org, when.date(), medium, who))
    out: dict[str, Counter[str]] = {o[0]: Counter() for o in ORGS}
    for org, _day, medium, _who in keys:
        out[org]["v"] += 1
        out[org]["e"] += medium in ("11", "12")
        out[org]["p"] += medium == "80"
    return {o: (c["v"], c["e"], c["p"]) for o, c in out.items()}


@settings(max_examples=60)
@given(
    st.lists(event, max_size=40),
    st.integers(0, 4),
    st.integers(0, 4),
    st.sampled_from(["Asia/Shanghai", "UTC", "America/Los_Angeles", "Asia/Kathmandu"]),
)
def test_sql_visit_counts_match_the_definition(events, a, b, tz):
    engine = _engine()
    with engine.db.transaction() as cur:
        cur.run("DELETE FROM usage")
    rows = []
    for i, (org, sec, scene, medium, who, vt) in enumerate(events):
        when = (datetime.combine(FIRST_DAY, datetime.min.time()) + timedelta(seconds=sec)).strftime(
            "%Y%m%d%H%M%S"
        )
        kw = {"ehcid": f"{who}".ljust(64, "0")} if medium in ("11", "12") else {"card_blind": who}
        rows.append(usage_row(i, when, org, scene, medium, visit_type=vt, **kw))
    bulk_insert_usage(engine.db, rows)
    start, end = FIRST_DAY + timedelta(days=min(a, b)), FIRST_DAY + timedelta(days=max(a, b))
    rep = engine.report(Period.parse(start.isoformat(), end.isoformat(), tz))
    got = {h["org_code"]: (h["visits"], h["ecard_visits"], h["physical_visits"]) for h in rep["hospitals"]}
    assert got == reference(events, start, end, tz)
    # weekly trend points add up to the period's total
    assert sum(p["visits"] for p in rep["trend"]) == rep["summary"]["visits"]
