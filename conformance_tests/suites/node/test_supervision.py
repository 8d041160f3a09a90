"""Supervision KPIs over ``SupervisionService``: visits counted once, e-card and legacy-card shares,
county coverage, red/yellow/blue marks against the seeds' targets, two-reds escalation."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from reference_node.proto.ehc.node.v1 import usage_pb2 as U

from .helpers import new_id_number, register

_IDS = itertools.count(1)


def _supervision():
    try:
        from reference_node.proto.ehc.node.v1 import supervision_pb2
    except ImportError:  # pragma: no cover - an ehc.node.v1 without supervision
        pytest.fail("the node's ehc.node.v1 has no SupervisionService", pytrace=False)
    return supervision_pb2


def visit(dut, day: dt.date, hour: int = 9, **over) -> U.UsageRecord:
    context = dut.context()
    fields = dict(
        request_id=f"sup-{next(_IDS)}-{day.isoformat()}-{hour}",
        time=f"{day:%Y%m%d}{hour:02d}{next(_IDS) % 60:02d}00",
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
    acks = dut.stream("usage", "ReportStream", records)
    bad = [a for a in acks if a.error.code]
    assert not bad, f"usage refused: {bad[0].error.code}"


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
def test_visits_are_counted_once_and_shares_follow(dut):
    day = dt.date(2021, 7, 12)
    people = [register(dut) for _ in range(3)]
    records = [visit(dut, day, ehcid=p.card.ehcid) for p in people]  # 3 e-card visits
    records.append(visit(dut, day, card_type="80", card_number=f"HC{next(_IDS):08d}"))  # legacy hospital card
    records.append(visit(dut, day, card_type="20", card_number=new_id_number()))  # ID card
    records.append(visit(dut, day, hour=11, ehcid=people[0].card.ehcid))  # re-scan the same day: same visit
    records.append(
        visit(dut, day, scene="0101052", medical_step="010105", ehcid=people[1].card.ehcid)
    )  # payment
    records.append(visit(dut, day, visit_type="I", ehcid=people[2].card.ehcid, hour=14))  # inpatient
    report_all(dut, records)
    report_all(dut, [records[0]])  # the same report re-sent (idempotent)
    summary = kpis(dut, day, day, org_code=dut.context().org_code).summary
    assert (summary.visits, summary.ecard_visits, summary.physical_visits) == (5, 3, 1), summary
    assert summary.ecard_share == pytest.approx(0.6) and summary.physical_share == pytest.approx(0.2)


@pytest.mark.requirement("SUP-001")
def test_county_coverage_is_holders_over_residents(dut):
    S = _supervision()
    county = "370826"
    _, error = dut.call(
        "supervision",
        "SetPopulation",
        S.SetPopulationRequest(
            figures=[S.PopulationFigure(area_code=county, population=8)], source="conformance"
        ),
        "admin",
    )
    assert error is None, error
    for _ in range(4):
        register(dut, id_number=new_id_number(county))
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    summary = kpis(dut, today, today, area_code=county).summary
    assert (summary.population, summary.holders) == (8, 4) and summary.coverage == pytest.approx(0.5), summary


def _mark(summary, kpi: str):
    return next(m for m in summary.marks if m.kpi == kpi)


@pytest.mark.requirement("SUP-005")
def test_tertiary_ecard_share_is_rated_against_the_2019_target(dut):
    day = dt.date(2019, 9, 16)
    people = [register(dut) for _ in range(10)]
    records = [visit(dut, day, ehcid=p.card.ehcid) for p in people]  # 10 e-card visits
    records += [visit(dut, day, card_type="20", card_number=new_id_number()) for _ in range(30)]  # 30 others
    report_all(dut, records)
    summary = kpis(dut, dt.date(2019, 7, 1), dt.date(2019, 12, 31), org_code=dut.context().org_code).summary
    mark = _mark(summary, "ecard_share")
    assert mark.target.threshold == pytest.approx(0.30) and mark.value == pytest.approx(0.25)
    assert mark.colour == "yellow", f"25 % against >= 30 % rated {mark.colour}"


@pytest.mark.requirement("SUP-004")
def test_county_coverage_is_rated_against_the_latest_target(dut):
    S = _supervision()
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    colours = {}
    for county, holders in (("370827", 7), ("370828", 4)):
        dut.call(
            "supervision",
            "SetPopulation",
            S.SetPopulationRequest(
                figures=[S.PopulationFigure(area_code=county, population=8)], source="conformance"
            ),
            "admin",
        )
        for _ in range(holders):
            register(dut, id_number=new_id_number(county))
        summary = kpis(dut, today, today, area_code=county).summary
        colours[county] = _mark(summary, "coverage")
    assert colours["370827"].target.threshold == pytest.approx(0.80)
    assert colours["370827"].colour == "blue", colours["370827"]
    assert colours["370828"].colour == "red", colours["370828"]


@pytest.mark.requirement("SUP-006", "SUP-007")
def test_two_red_weeks_of_legacy_cards_escalate(dut):
    S = _supervision()
    weeks = [dt.date(2021, 7, 5), dt.date(2021, 7, 19)]  # two Mondays, target <= 30 % in force
    for monday in weeks:
        report_all(
            dut, [visit(dut, monday, card_type="80", card_number=f"HC{next(_IDS):08d}") for _ in range(32)]
        )
    org = dut.context().org_code
    week = kpis(dut, weeks[0], weeks[0] + dt.timedelta(days=6), org_code=org).summary
    legacy = _mark(week, "physical_share")
    assert legacy.target.comparison == "<=" and legacy.colour == "red", legacy
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
