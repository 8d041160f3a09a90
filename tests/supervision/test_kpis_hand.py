"""KPIs, ratings and escalations against the hand-computed history (tests/supervision/sv_history.py).

Every expected number is written literally with its arithmetic; the node computes them with SQL
on SQLite and on PostgreSQL, called over real gRPC (SupervisionService) and the engine directly.
"""

from __future__ import annotations

import pytest
from sv_history import H2, H3A, H3B, H3C

from reference_node.proto.ehc.node.v1 import supervision_pb2 as pb
from reference_node.proto.ehc.node.v1 import supervision_pb2_grpc
from reference_node.supervision.kpis import KpiEngine
from reference_node.supervision.periods import Period
from reference_node.supervision.profile import SupervisionProfile

H2_2019 = ("2019-07-01", "2019-12-31")


def engine(node, **profile) -> KpiEngine:
    # min_visits 1: the hand history is tiny; the default (30) is tested separately
    return KpiEngine(node.node.db, SupervisionProfile(**{"min_visits": 1, **profile}))


def by_org(report):
    return {h["org_code"]: h for h in report["hospitals"]}


def test_visits_and_shares_per_hospital(hand_node):
    rep = engine(hand_node).report(Period.parse(*H2_2019))
    h = by_org(rep)
    # H3A: visits #1(+#2 same day) E1 07-01, #4 E2 12-31 23:59:59, #6 C1, #7 C2, #10 E1 07-02 = 5
    #      (#3 payment, #5 2020-01-01 00:00:00, #8 06-30, #9 inpatient excluded); e-card 3, legacy 1
    assert (h[H3A]["visits"], h[H3A]["ecard_visits"], h[H3A]["physical_visits"]) == (5, 3, 1)
    assert h[H3A]["ecard_share"] == pytest.approx(3 / 5)  # 0.6
    assert h[H3A]["physical_share"] == pytest.approx(1 / 5)  # 0.2
    # H3B: C3, C4 (legacy), E5, C5 (social security) = 4 visits; e 1 → 0.25, legacy 2 → 0.5
    assert (h[H3B]["visits"], h[H3B]["ecard_visits"], h[H3B]["physical_visits"]) == (4, 1, 2)
    # H3C: C6, C7, C8 = 3 visits; e 0, legacy 2
    assert (h[H3C]["visits"], h[H3C]["ecard_visits"], h[H3C]["physical_visits"]) == (3, 0, 2)
    # H2: #15 bare step 010101 and #16 check-in 0101019 are visits, #17 booking 0101011 is not
    assert (h[H2]["visits"], h[H2]["ecard_visits"], h[H2]["physical_visits"]) == (2, 2, 0)
    s = rep["summary"]
    # totals: 5 + 4 + 3 + 2 = 14 visits; e 3 + 1 + 0 + 2 = 6; legacy 1 + 2 + 2 + 0 = 5
    assert (s["visits"], s["ecard_visits"], s["physical_visits"]) == (14, 6, 5)
    assert s["ecard_share"] == pytest.approx(6 / 14, abs=1e-6)
    # tertiary: 5 + 4 + 3 = 12 visits, e-card 3 + 1 + 0 = 4 → 0.333333
    assert (s["tertiary_visits"], s["tertiary_ecard_visits"]) == (12, 4)
    assert s["tertiary_ecard_share"] == pytest.approx(4 / 12, abs=1e-6)
    levels = {lv["level"]: lv for lv in rep["levels"]}
    assert (levels["3"]["visits"], levels["2"]["visits"]) == (12, 2)


def test_coverage_at_period_end(hand_node):
    rep = engine(hand_node).report(Period.parse(*H2_2019))
    counties = {c["area_code"]: c for c in rep["counties"]}
    # holders at 2020-01-01 00:00:00 CST: 370811 P1, P2 (12-31 23:59:59) = 2 of 4 → 0.5;
    # 370812 P5 only (P6 cancelled 11-01) = 1 of 5 → 0.2
    assert (counties["370811"]["holders"], counties["370811"]["population"]) == (2, 4)
    assert counties["370811"]["coverage"] == pytest.approx(0.5)
    assert (counties["370812"]["holders"], counties["370812"]["population"]) == (1, 5)
    assert counties["370812"]["coverage"] == pytest.approx(0.2)
    # whole node: 3 holders of 4 + 5 = 9 residents
    assert (rep["summary"]["holders"], rep["summary"]["population"]) == (3, 9)
    # the city 370800 has no figure of its own: the sum of its counties
    city = engine(hand_node).report(Period.parse(*H2_2019), "370800")["summary"]
    assert (city["holders"], city["population"]) == (3, 9)
    county = engine(hand_node).report(Period.parse(*H2_2019), "370811")
    assert (county["summary"]["holders"], county["summary"]["population"]) == (2, 4)
    assert {h["org_code"] for h in county["hospitals"]} == {H3A, H3B}


def test_time_zone_moves_the_period_boundaries(hand_node):
    # The same dates in UTC: [2019-07-01 08:00 CST, 2020-01-01 08:00 CST)
    rep = engine(hand_node).report(Period.parse(*H2_2019, "UTC"))
    h = by_org(rep)
    # H3A: #1 at 08:00:00 CST is exactly the first instant (in); #5 E3 2020-01-01 00:00 CST now in;
    # visits E1 07-01, E2 12-31, E3 01-01, C1, C2, E1 07-02 = 6, e-card 4
    assert (h[H3A]["visits"], h[H3A]["ecard_visits"]) == (6, 4)
    counties = {c["area_code"]: c for c in rep["counties"]}
    # P3 (issued 2020-01-01 00:00:00 CST) holds a card before 2020-01-01 08:00 CST: 3 of 4
    assert counties["370811"]["holders"] == 3
    assert rep["period"]["from_time"] == "20190701080000"
    assert rep["period"]["to_time"] == "20200101080000"


def test_single_day_boundaries(hand_node):
    # 2019-12-31 only (CST): #4 at 23:59:59 is in, #5 at 00:00:00 next day is not
    rep = engine(hand_node).report(Period.parse("2019-12-31", "2019-12-31"), org_code=H3A)
    assert by_org(rep)[H3A]["visits"] == 1
    # 2020-01-01 only: #5 alone
    rep = engine(hand_node).report(Period.parse("2020-01-01", "2020-01-01"), org_code=H3A)
    assert by_org(rep)[H3A]["visits"] == 1
    # 2019-06-30 only: #8 (a day before the H2 period) alone
    rep = engine(hand_node).report(Period.parse("2019-06-30", "2019-06-30"), org_code=H3A)
    assert by_org(rep)[H3A]["visits"] == 1


def test_ratings_against_the_targets_in_force(hand_node):
    rep = engine(hand_node).report(Period.parse(*H2_2019))
    h = by_org(rep)
    # 2019-12-31: tertiary e-card target ≥ 30 % (seed 000), margin 10 points
    assert h[H3A]["rating"] == "blue"  # 0.60 ≥ 0.30
    assert h[H3B]["rating"] == "yellow"  # 0.25: short by 0.05 ≤ 0.10
    assert h[H3C]["rating"] == "red"  # 0.00: short by 0.30
    assert h[H2]["rating"] == "unrated"  # secondary: no e-card target; legacy target starts 2021
    counties = {c["area_code"]: c for c in rep["counties"]}
    # 370811: coverage 0.5 ≥ 0.5 blue; tertiary e-card (3 + 1) / (5 + 4) = 0.444 blue
    assert counties["370811"]["rating"] == "blue"
    # 370812: coverage 0.2 (short by 0.3) red
    assert counties["370812"]["rating"] == "red"
    # summary: coverage 3/9 = 0.333 short by 0.167 → red
    assert rep["summary"]["rating"] == "red"
    # a wider margin turns H3C's 0.30 gap yellow
    wide = by_org(engine(hand_node, yellow_margin=0.30).report(Period.parse(*H2_2019)))
    assert wide[H3C]["rating"] == "yellow"


def test_minimum_volume_leaves_small_hospitals_unrated(hand_node):
    rep = KpiEngine(hand_node.node.db, SupervisionProfile(min_visits=5)).report(Period.parse(*H2_2019))
    h = by_org(rep)
    assert h[H3A]["rating"] == "blue"  # 5 visits: rated
    assert h[H3B]["rating"] == "unrated"  # 4 visits < 5
    assert h[H3B]["marks"][0]["reason"] == "fewer than 5 visits"


def test_two_reds_escalation_list(hand_node):
    esc = engine(hand_node).escalations(Period.parse(*H2_2019))
    # 27 notices: Mondays 2019-07-01 .. 2019-12-30 (the last one clipped to 12-30..12-31)
    assert len(esc["weeks"]) == 27
    listed = {(e["entity"], e["code"]): e for e in esc["escalations"]}
    # 370812: coverage at each week's end: 0/5 until P5 and P6 on 08-01 (red); 2/5 = 0.40 from the
    # week of 07-29 to the week of 10-21 (13 weeks; short by exactly 0.10 → yellow); 1/5 after P6's
    # cancellation on 11-01 (red). Reds: 27 - 13 = 14
    assert listed[("county", "370812")]["reds"] == 14
    assert "2019-07-29" not in listed[("county", "370812")]["red_weeks"]
    assert "2019-10-28" in listed[("county", "370812")]["red_weeks"]
    # 370811: coverage 1/4 until P2 on 12-31 → 26 red weeks; the last week 2/4 blue
    assert listed[("county", "370811")]["reds"] == 26
    # H3C: week of 10-28 (C6, C7: 0 %) and of 11-04 (C8: 0 %) red → 2 → interview
    assert listed[("hospital", H3C)]["red_weeks"] == ["2019-10-28", "2019-11-04"]
    # H3B: week of 08-26 1/3 blue, week of 09-02 0/1 red → 1 red: not listed
    assert ("hospital", H3B) not in listed
    assert ("hospital", H3A) not in listed
    assert [(e["entity"], e["code"]) for e in esc["escalations"]] == [
        ("county", "370811"), ("county", "370812"), ("hospital", H3C),
    ]  # fmt: skip
    # three reds needed: H3C drops off
    three = engine(hand_node, escalation_reds=3).escalations(Period.parse(*H2_2019))
    assert ("hospital", H3C) not in {(e["entity"], e["code"]) for e in three["escalations"]}


def test_weekly_trend_points(hand_node):
    rep = engine(hand_node).report(Period.parse(*H2_2019), "370811")
    trend = {p["week_start"]: p for p in rep["trend"]}
    # week 07-01..07-07 at H3A/H3B: E1 07-01, C1, C2, E1 07-02 = 4 visits, e 2
    assert (trend["2019-07-01"]["visits"], trend["2019-07-01"]["ecard_visits"]) == (4, 2)
    # coverage at the end of that week: P1 only, 1/4
    assert trend["2019-07-01"]["coverage"] == pytest.approx(0.25)
    assert (trend["2019-12-30"]["week_end"], trend["2019-12-30"]["holders"]) == ("2019-12-31", 2)


def test_grpc_service_returns_the_same_numbers(hand_node):
    with hand_node.client("admin") as c:
        stub = supervision_pb2_grpc.SupervisionServiceStub(c.channel)
        rep = stub.Kpis(pb.KpiRequest(start_date=H2_2019[0], end_date=H2_2019[1], area_code="370800"))
        assert (rep.summary.visits, rep.summary.ecard_visits, rep.summary.holders) == (14, 6, 3)
        ratings = stub.Ratings(pb.KpiRequest(start_date=H2_2019[0], end_date=H2_2019[1]))
        assert ratings.rule.startswith("blue: target met")
        esc = stub.Escalations(pb.KpiRequest(start_date=H2_2019[0], end_date=H2_2019[1]))
        assert {e.code for e in esc.escalations} == {
            "370811",
            "370812",
        }  # default min_visits 30: no hospital rated
        csv = stub.ExportCsv(pb.ExportCsvRequest(query=pb.KpiRequest(start_date=H2_2019[0], end_date=H2_2019[1]),
                                                 table="hospitals"))  # fmt: skip
        assert csv.filename == "ehc-hospitals-2019-07-01_2019-12-31.csv"
        assert csv.content.startswith("\ufeff".encode())


def test_hospital_terminal_is_refused(hand_node):
    import grpc

    from reference_node.client import error_of

    with hand_node.client() as c:  # the demo hospital's terminal, not a supervision reader
        stub = supervision_pb2_grpc.SupervisionServiceStub(c.channel)
        with pytest.raises(grpc.RpcError) as info:
            stub.Kpis(pb.KpiRequest(start_date=H2_2019[0], end_date=H2_2019[1]))
        assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert error_of(info.value).code.name == "NODE_FORBIDDEN_ADMIN_ONLY"
    from reference_node.supervision.service import grant_reader

    grant_reader(hand_node.node, hand_node.credentials.terminal_id)
    with hand_node.client() as c:
        stub = supervision_pb2_grpc.SupervisionServiceStub(c.channel)
        assert stub.Kpis(pb.KpiRequest(start_date=H2_2019[0], end_date=H2_2019[1])).summary.visits == 14


@pytest.mark.parametrize(
    "start,end,tz,area",
    [("2019-13-01", "2019-12-31", "", ""), ("2019-12-31", "2019-07-01", "", ""),
     ("2019-07-01", "2019-12-31", "Mars/Olympus", ""), ("2019-07-01", "2019-12-31", "", "999999"),
     ("2015-01-01", "2019-12-31", "", "")],
)  # fmt: skip
def test_bad_requests_are_invalid_argument(hand_node, start, end, tz, area):
    import grpc

    with hand_node.client("admin") as c:
        stub = supervision_pb2_grpc.SupervisionServiceStub(c.channel)
        with pytest.raises(grpc.RpcError) as info:
            stub.Kpis(pb.KpiRequest(start_date=start, end_date=end, time_zone=tz, area_code=area))
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
