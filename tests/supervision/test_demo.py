"""Demo data: plausible KPIs and ratings, seeded once, re-run safely after an interruption."""

from __future__ import annotations

from reference_node.supervision.demo import seed_demo
from reference_node.supervision.kpis import KpiEngine
from reference_node.supervision.periods import Period


def test_demo_history_is_plausible_and_seeded_once(tmp_path):
    from reference_node.testing import start_node

    node = start_node(tmp_path)
    try:
        first = seed_demo(node.node, residents_per_city=200, scale=0.15)
        assert first["organisations"] == 190 and first["usage_rows"] > 10_000
        count = node.node.db.one("SELECT COUNT(*) FROM usage")[0]
        # interrupted before the marker: a second run writes nothing new (idempotent request ids)
        with node.node.db.transaction() as cur:
            cur.run("DELETE FROM supervision_meta WHERE key = 'demo_seeded'")
        seed_demo(node.node, residents_per_city=200, scale=0.15)
        assert node.node.db.one("SELECT COUNT(*) FROM usage")[0] == count
        assert seed_demo(node.node, residents_per_city=200, scale=0.15)["usage_rows"] == 0
        eng = KpiEngine(node.node.db)
        early = eng.report(Period.parse("2019-07-01", "2019-12-31"), "370800")["summary"]
        late = eng.report(Period.parse("2021-07-01", "2021-09-30"), "370800")["summary"]
        # adoption: e-card share and coverage grow, legacy-card share falls
        assert early["ecard_share"] < late["ecard_share"]
        assert early["physical_share"] > late["physical_share"]
        assert early["coverage"] < late["coverage"] <= 1.0
        ratings = {r["colour"] for r in eng.ratings(Period.parse("2021-07-01", "2021-09-30"))["ratings"]}
        assert {"red", "yellow"} <= ratings  # the notices have something to say
    finally:
        node.stop()
