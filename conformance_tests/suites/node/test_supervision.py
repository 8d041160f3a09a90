"""Supervision KPIs over ``SupervisionService``: visits counted once, e-card and legacy-card shares,
county coverage, red/yellow/blue marks against the seeds' targets, two-reds escalation.

A node under test may already hold data (a vendor's test instance, or an earlier certification of
the same node): every test reads the figures first and asserts the DIFFERENCE its own records make,
and sizes its records so that the rated share or coverage is the one it checks whatever was there.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest

from reference_node.proto.ehc.node.v1 import usage_pb2 as U

from .helpers import (
    card_action,
    fresh,
    new_digits,
    new_id_number,
    new_request_id,
    refuses_hospital_cards,
    register,
)


def recent(days_ago: int) -> dt.date:
    """A day shortly before the run (Beijing time): nodes refuse usage dated years back (the
    reference: more than 3 years, NODE_USAGE_TIME_IMPLAUSIBLE), so visits are recent and rated
    against the target in force then, the LATEST of each KPI (docs/supervision.md)."""
    return fresh().today - dt.timedelta(days=days_ago)


def _supervision():
    try:
        from reference_node.proto.ehc.node.v1 import supervision_pb2
    except ImportError:  # pragma: no cover - an ehc.node.v1 without supervision
        pytest.fail("the node's ehc.node.v1 has no SupervisionService", pytrace=False)
    return supervision_pb2


def visit(dut, day: dt.date, hour: int = 9, **over) -> U.UsageRecord:
    context = dut.context()
    fields = dict(
        request_id=new_request_id("sup"),
        time=f"{day:%Y%m%d}{hour:02d}{int(new_digits(2)) % 60:02d}00",
        org_code=context.org_code,
        org_name=context.org_name,
        use_city=context.use_city,
        scene="0101012",
        medical_step="010101",
        department="5500",
        card_type="11",
        channel="0100",
        payment_category="0100",
        visit_type="O",
        terminal_id=context.terminal_id,
    )
    fields.update(over)
    return U.UsageRecord(**fields)


def report_all(dut, records: list[U.UsageRecord]) -> None:
    for start in range(0, len(records), 500):  # bounded streams when a busy node needs many records
        acks = dut.stream("usage", "ReportStream", records[start : start + 500])
        bad = [a for a in acks if a.error.code]
        assert not bad, f"usage refused: {bad[0].error.code}"


def legacy_card() -> str:
    return f"HC{new_digits(8)}"  # a legacy hospital card number no earlier run used


def kpis(dut, start: dt.date, end: dt.date, **scope):
    S = _supervision()
    report, error = dut.call(
        "supervision",
        "Kpis",
        S.KpiRequest(start_date=start.isoformat(), end_date=end.isoformat(), **scope),
        "admin",
    )
    assert error is None, error
    return report


@pytest.mark.requirement("SUP-002", "SUP-003", "SUP-010")
def test_visits_are_counted_once_and_shares_follow(dut, profile):
    day = recent(1)
    org = dut.context().org_code
    before = kpis(dut, day, day, org_code=org).summary
    people = [register(dut) for _ in range(3)]
    records = [visit(dut, day, ehcid=p.card.ehcid) for p in people]  # 3 e-card visits
    legacy = visit(dut, day, card_type="80", card_number=legacy_card())  # legacy hospital card
    # past the profile's stop-using date (Jining, seed 001) the node refuses it: no physical visit,
    # a refusal the KPIs count (on the node's day) instead
    refused = refuses_hospital_cards(profile, day)
    if refused:
        today = recent(0)
        refused_before = kpis(dut, today, today, org_code=org).summary.hospital_cards_refused
        (ack,) = dut.stream("usage", "ReportStream", [legacy])
        assert ack.error.code, (
            "hospital card (type 80) reported after the profile's stop-using date: accepted"
        )
        for _ in range(100):  # a node may log refusals in the background (the reference: every 50 ms)
            refused_after = kpis(dut, today, today, org_code=org).summary.hospital_cards_refused
            if refused_after > refused_before:
                break
            time.sleep(0.05)
        assert refused_after > refused_before, (  # other tests may refuse cards too
            f"refused hospital cards {refused_before} -> {refused_after}"
        )
    else:
        records.append(legacy)
    records.append(visit(dut, day, card_type="20", card_number=new_id_number()))  # ID card
    records.append(visit(dut, day, hour=11, ehcid=people[0].card.ehcid))  # re-scan the same day: same visit
    records.append(
        visit(dut, day, scene="0101052", medical_step="010105", ehcid=people[1].card.ehcid)
    )  # payment
    records.append(visit(dut, day, visit_type="I", ehcid=people[2].card.ehcid, hour=14))  # inpatient
    report_all(dut, records)
    report_all(dut, [records[0]])  # the same report re-sent (idempotent)
    summary = kpis(dut, day, day, org_code=org).summary
    added = (
        summary.visits - before.visits,
        summary.ecard_visits - before.ecard_visits,
        summary.physical_visits - before.physical_visits,
    )
    expected = (4, 3, 0) if refused else (5, 3, 1)
    assert added == expected, f"visits, e-card, legacy added: {added} (before: {before}, after: {summary})"
    assert summary.ecard_share == pytest.approx(summary.ecard_visits / summary.visits)
    assert summary.physical_share == pytest.approx(summary.physical_visits / summary.visits)


@pytest.mark.requirement("SUP-002", "SUP-010")
def test_a_visit_counts_on_the_hospitals_beijing_day(dut):
    """Night visits (emergencies after midnight, before 08:00 Beijing time) count on their Beijing
    day, a late-evening visit on its own day: a period cut at UTC midnight (a server in UTC) moves
    every use between 00:00 and 08:00 CST to the day before, which daytime visits never show."""
    before_day, day, after_day = recent(4), recent(3), recent(2)
    org = dut.context().org_code
    before = {d: kpis(dut, d, d, org_code=org).summary.visits for d in (before_day, day, after_day)}
    people = [register(dut) for _ in range(4)]
    report_all(
        dut,
        [
            visit(dut, day, hour=0, visit_type="E", ehcid=people[0].card.ehcid),  # 00:xx CST
            visit(dut, day, hour=7, visit_type="E", ehcid=people[1].card.ehcid),  # 07:xx CST
            visit(dut, day, hour=23, ehcid=people[2].card.ehcid),  # 23:xx CST
            visit(dut, after_day, hour=1, visit_type="E", ehcid=people[3].card.ehcid),
        ],
    )
    added = {d: kpis(dut, d, d, org_code=org).summary.visits - before[d] for d in before}
    expected = {before_day: 0, day: 3, after_day: 1}
    assert added == expected, "visits added per Beijing day " + ", ".join(
        f"{d}: {added[d]} (expected {expected[d]})" for d in (before_day, day, after_day)
    )


@pytest.mark.requirement("SUP-001")
def test_county_coverage_is_holders_over_residents(dut):
    county = "370826"
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    held_before = kpis(dut, today, today, area_code=county).summary.holders
    for _ in range(4):
        register(dut, id_number=new_id_number(county))
    population = 2 * (held_before + 4)  # whatever the node held, coverage is then exactly 50 %
    set_population(dut, county, population)
    summary = kpis(dut, today, today, area_code=county).summary
    assert summary.holders - held_before == 4, f"holders {held_before} -> {summary.holders} after 4 cards"
    assert summary.population == population and summary.coverage == pytest.approx(0.5), summary


def set_population(dut, county: str, population: int) -> None:
    S = _supervision()
    _, error = dut.call(
        "supervision",
        "SetPopulation",
        S.SetPopulationRequest(
            figures=[S.PopulationFigure(area_code=county, population=population)], source="conformance"
        ),
        "admin",
    )
    assert error is None, error


def _mark(summary, kpi: str):
    return next(m for m in summary.marks if m.kpi == kpi)


@pytest.mark.requirement("SUP-005")
def test_tertiary_ecard_share_is_rated_against_the_latest_target(dut):
    # the 2020 H2 target (>= 80 %) is the latest, in force ever since; one day rated
    day = recent(2)
    start = end = day
    org = dut.context().org_code
    before = kpis(dut, start, end, org_code=org).summary
    # e-card visits e and others o so that the day's share becomes exactly 75 % (5 points short:
    # yellow) whatever the node held: E = E0 + e a multiple of 3, V = 4E/3 = V0 + e + o, o >= 0,
    # at least 30 e-card visits (the minimum volume to be rated)
    ecard = max(30, 3 * before.visits - 4 * before.ecard_visits)
    ecard += -(before.ecard_visits + ecard) % 3
    others = 4 * (before.ecard_visits + ecard) // 3 - before.visits - ecard
    people = [register(dut) for _ in range(ecard)]
    records = [visit(dut, day, ehcid=p.card.ehcid) for p in people]
    records += [visit(dut, day, card_type="20", card_number=new_id_number()) for _ in range(others)]
    report_all(dut, records)
    summary = kpis(dut, start, end, org_code=org).summary
    assert (summary.visits - before.visits, summary.ecard_visits - before.ecard_visits) == (
        ecard + others,
        ecard,
    ), f"visits before {before.visits}, after {summary.visits}"
    mark = _mark(summary, "ecard_share")
    assert mark.target.threshold == pytest.approx(0.80) and mark.value == pytest.approx(0.75)
    assert mark.colour == "yellow", f"75 % against >= 80 % rated {mark.colour}"


@pytest.mark.requirement("SUP-004")
def test_county_coverage_is_rated_against_the_latest_target(dut):
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    colours = {}
    # 370827: 7 new holders and one resident more than all holders (>= 87.5 %, target 80 % met);
    # 370828: 4 new holders, population twice the holders (50 %: 30 points short, red)
    for county, holders, population in (
        ("370827", 7, lambda held: held + 1),
        ("370828", 4, lambda held: 2 * held),
    ):
        held_before = kpis(dut, today, today, area_code=county).summary.holders
        for _ in range(holders):
            register(dut, id_number=new_id_number(county))
        set_population(dut, county, population(held_before + holders))
        summary = kpis(dut, today, today, area_code=county).summary
        assert summary.holders - held_before == holders, (county, held_before, summary.holders)
        colours[county] = _mark(summary, "coverage")
    assert colours["370827"].target.threshold == pytest.approx(0.80)
    assert colours["370827"].colour == "blue", colours["370827"]
    assert colours["370828"].colour == "red", colours["370828"]


@pytest.mark.requirement("SUP-006", "SUP-007")
def test_two_red_weeks_of_legacy_cards_escalate(dut, profile):
    S = _supervision()
    # two Mondays of complete recent weeks, the latest target (<= 5 %, from 2021-07-01) in force
    last_monday = recent(0) - dt.timedelta(days=recent(0).weekday())
    weeks = [last_monday - dt.timedelta(weeks=5), last_monday - dt.timedelta(weeks=3)]
    org = dut.context().org_code
    # past the profile's stop-using date (Jining, seed 001) a legacy card is refused, so no week can
    # be red for its legacy share: the refusal keeps the share down, and the two red weeks come
    # from the tertiary e-card share (>= 80 %) instead
    refused = refuses_hospital_cards(profile, weeks[0])
    first = kpis(dut, weeks[0], weeks[0] + dt.timedelta(days=6), org_code=org).summary
    for monday in weeks:
        held = kpis(dut, monday, monday + dt.timedelta(days=6), org_code=org).summary
        if refused:
            (ack,) = dut.stream(
                "usage", "ReportStream", [visit(dut, monday, card_type="80", card_number=legacy_card())]
            )
            assert ack.error.code, (
                "hospital card (type 80) reported after the profile's stop-using date: accepted"
            )
            # ID-card visits so that the week's e-card share is at most 10 %: E0 / (V0 + n) <= 0.1
            n = max(32, 10 * held.ecard_visits - held.visits)
            report_all(
                dut, [visit(dut, monday, card_type="20", card_number=new_id_number()) for _ in range(n)]
            )
            continue
        # enough legacy-card visits that the week's legacy share is at least 90 % whatever the
        # node held: (P0 + n) / (V0 + n) >= 0.9
        n = max(32, 9 * held.visits - 10 * held.physical_visits)
        report_all(dut, [visit(dut, monday, card_type="80", card_number=legacy_card()) for _ in range(n)])
    week = kpis(dut, weeks[0], weeks[0] + dt.timedelta(days=6), org_code=org).summary
    legacy = _mark(week, "physical_share")
    assert legacy.target.comparison == "<=", legacy
    if refused:
        latest = profile.param("kpi.physical_card_share")[-1]
        assert legacy.target.threshold == pytest.approx(latest["max"]), legacy
        assert week.physical_visits == first.physical_visits, "a refused hospital card counted as a visit"
        assert legacy.colour != "red" and _mark(week, "ecard_share").colour == "red", week.marks
    else:
        assert legacy.colour == "red", legacy
    report, error = dut.call(
        "supervision",
        "Escalations",
        S.KpiRequest(start_date=weeks[0].isoformat(), end_date=(weeks[1] + dt.timedelta(days=6)).isoformat()),
        "admin",
    )
    assert error is None, error
    entry = next((e for e in report.escalations if e.code == org), None)
    assert entry is not None and entry.reds >= 2, (
        f"hospital with two red weeks not escalated: {list(report.escalations)}"
    )


@pytest.mark.requirement("SUP-008")
def test_coverage_is_rated_against_the_provinces_own_target(dut, profile):
    """Sichuan (seed 004): >= 80 % of residents by end 2017 — the node rates coverage against its
    province's target, not Jining's (80 % too, but by end 2020: the deadline tells them apart)."""
    (target,) = [t for t in profile.param("kpi.coverage") if t.get("population", "") in ("", "all")]
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    marks = {}
    for county, holders, population in (
        ("510104", 5, lambda held: held + 1),  # >= 5/6 = 83 %: met
        ("510105", 3, lambda held: 2 * held),  # 50 %: 30 points short, red
    ):
        held_before = kpis(dut, today, today, area_code=county).summary.holders
        for _ in range(holders):
            register(dut, id_number=new_id_number(county))
        set_population(dut, county, population(held_before + holders))
        marks[county] = _mark(kpis(dut, today, today, area_code=county).summary, "coverage")
    met = marks["510104"]
    assert met.target.threshold == pytest.approx(target["min"]) and met.target.deadline == target["until"], (
        f"coverage rated against {met.target.threshold} by {met.target.deadline}, the profile says "
        f"{target['min']} by {target['until']}"
    )
    assert met.colour == "blue", met
    assert marks["510105"].colour == "red", marks["510105"]


@pytest.mark.requirement("SUP-009")
def test_the_coverage_of_the_poor_is_reported_separately(dut, profile):
    """Hengyang (seed 003): every registered poor person first — a KPI of its own over the
    registered poverty-relief persons holding a card (a cancelled card does not count)."""
    (target,) = [t for t in profile.param("kpi.coverage") if t.get("population") == "poverty"]
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    county = "430421"
    before = [
        m for m in kpis(dut, today, today, area_code=county).summary.marks if m.kpi == "coverage_poverty"
    ]
    poor = [register(dut, id_number=new_id_number(county), poverty_relief=True) for _ in range(4)]
    register(dut, id_number=new_id_number(county))  # not poor: not counted
    _, error = card_action(dut, "Cancel", poor[0].card.ehcid)
    assert error is None, error
    mark = _mark(kpis(dut, today, today, area_code=county).summary, "coverage_poverty")
    assert (
        mark.target.threshold == pytest.approx(target["min"]) and mark.target.deadline == target["until"]
    ), mark
    assert mark.has_value and mark.colour != "blue", mark  # 3 of 4 new members hold a card: < 100 %
    if not before or not before[0].has_value:  # no poor person of the county before: exactly 3/4
        assert mark.value == pytest.approx(0.75), mark
    else:  # (H0 + 3) / (M0 + 4) lies between H0/M0 and 3/4
        v0 = before[0].value
        assert min(v0, 0.75) - 1e-9 <= mark.value <= max(v0, 0.75) + 1e-9, (v0, mark.value)
