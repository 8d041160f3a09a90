"""Policy dates of a profile (seed 001, Jining 2021): hospital self-issued cards stop being issued
on 2021-06-01 and are refused from 2021-10-01, judged on the node's policy day (--today)."""

from __future__ import annotations

import datetime as dt
import time

import grpc
from node_helpers import refused, register_request

from reference_node.config import NodeConfig
from reference_node.policy import set_policy_day
from reference_node.proto.ehc.node.v1 import main_index_pb2 as mp
from reference_node.proto.ehc.node.v1 import usage_pb2
from reference_node.supervision.kpis import KpiEngine
from reference_node.supervision.periods import Period
from reference_node.testing import start_node

S = grpc.StatusCode
JINING = NodeConfig(hospital_card_stop_issue="2021-06-01", hospital_card_stop_use="2021-10-01")


def _link(client, mi: str, number: str) -> mp.LinkMediumRequest:
    return mp.LinkMediumRequest(
        main_index=mi, medium=mp.MEDIUM_HOSPITAL_CARD, identifier=number, issuer="370800001", card_medium="80"
    )


def _resolve(number: str) -> mp.ResolveRequest:
    return mp.ResolveRequest(medium=mp.MEDIUM_HOSPITAL_CARD, identifier=number, issuer="370800001")


def _report(node, request_id: str, when: str) -> usage_pb2.UsageRecord:
    return usage_pb2.UsageRecord(
        request_id=request_id, time=when, org_code=node.credentials.org_code, use_city="370800",
        scene="0101012", card_type="80", channel="0100", card_number="JZK0001",
    )  # fmt: skip


def _today(offset_days: int = 0) -> str:
    day = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))) + dt.timedelta(days=offset_days)
    return day.strftime("%Y%m%d%H%M%S")


def test_hospital_cards_follow_the_profile_dates(tmp_path):
    node = start_node(tmp_path, config=JINING)
    try:
        client = node.client()
        mi = client.issuance.Register(register_request()).person.main_index
        # before the stop-issuing date: linked, resolved, reported
        set_policy_day(node.node, dt.date(2021, 5, 31))
        assert client.main_index.LinkMedium(_link(client, mi, "JZK0001")).changed
        assert client.main_index.Resolve(_resolve("JZK0001")).person.main_index == mi
        assert client.usage.Report(_report(node, "before", _today())).accepted
        # from the stop-issuing date: no new card, the issued one still works
        set_policy_day(node.node, dt.date(2021, 6, 1))
        refused(
            lambda: client.main_index.LinkMedium(_link(client, mi, "JZK0002")),
            S.FAILED_PRECONDITION,
            "NODE_HOSPITAL_CARD_NOT_ISSUED",
        )
        # an unlinked card medium 80 under another medium kind is a hospital card too
        other = mp.LinkMediumRequest(
            main_index=mi, medium=mp.MEDIUM_CITIZEN_CARD, identifier="SMK01", card_medium="80"
        )
        refused(
            lambda: client.main_index.LinkMedium(other),
            S.FAILED_PRECONDITION,
            "NODE_HOSPITAL_CARD_NOT_ISSUED",
        )
        assert client.main_index.Resolve(_resolve("JZK0001")).person.main_index == mi
        set_policy_day(node.node, dt.date(2021, 9, 30))
        assert client.usage.Report(_report(node, "last-day", _today())).accepted
        # from the stop-using date: presenting it is refused, and so is a report of its use
        set_policy_day(node.node, dt.date(2021, 10, 1))
        refused(
            lambda: client.main_index.Resolve(_resolve("JZK0001")),
            S.FAILED_PRECONDITION,
            "NODE_HOSPITAL_CARD_REFUSED",
        )
        refused(
            lambda: client.usage.Report(_report(node, "after", _today())),
            S.FAILED_PRECONDITION,
            "NODE_HOSPITAL_CARD_REFUSED",
        )
        # an e-card use the same day is not affected
        ehcid = client.issuance.Register(register_request()).card.ehcid
        ecard = usage_pb2.UsageRecord(
            request_id="ecard", time=_today(), org_code=node.credentials.org_code, use_city="370800",
            scene="0101012", card_type="11", channel="0100", ehcid=ehcid,
        )  # fmt: skip
        assert client.usage.Report(ecard).accepted
        # the refusals are counted by supervision (audit, group-committed: wait for the flush)
        today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
        period = Period.parse(today.isoformat(), today.isoformat())
        engine = KpiEngine(node.node.db)
        deadline = time.monotonic() + 5
        while engine.hospital_cards_refused(period) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert engine.hospital_cards_refused(period) == 2
        assert engine.report(period)["summary"]["hospital_cards_refused"] == 2
        assert engine.hospital_cards_refused(period, org_code="nobody") == 0
    finally:
        node.stop()


def test_a_report_is_judged_on_the_day_of_use_without_a_pinned_day(tmp_path):
    # no --today: the use's own date decides (a late report of a use before the date is kept)
    cfg = NodeConfig(hospital_card_stop_use=(dt.date.today() - dt.timedelta(days=1)).isoformat())
    node = start_node(tmp_path, config=cfg)
    try:
        client = node.client()
        assert client.usage.Report(_report(node, "old", _today(-3))).accepted
        refused(
            lambda: client.usage.Report(_report(node, "new", _today())),
            S.FAILED_PRECONDITION,
            "NODE_HOSPITAL_CARD_REFUSED",
        )
        refused(
            lambda: client.main_index.Resolve(_resolve("JZK0001")),
            S.FAILED_PRECONDITION,
            "NODE_HOSPITAL_CARD_REFUSED",
        )
    finally:
        node.stop()


def test_without_dates_hospital_cards_are_never_refused(tmp_path):
    node = start_node(tmp_path, config=NodeConfig(today="2030-01-01"))
    try:
        client = node.client()
        mi = client.issuance.Register(register_request()).person.main_index
        assert client.main_index.LinkMedium(_link(client, mi, "JZK0009")).changed
        assert client.main_index.Resolve(_resolve("JZK0009")).person.main_index == mi
        assert client.usage.Report(_report(node, "any", _today())).accepted
    finally:
        node.stop()


def test_the_today_option_pins_the_policy_day(tmp_path):
    node = start_node(tmp_path, config=NodeConfig(hospital_card_stop_use="2021-10-01", today="2021-09-30"))
    try:
        client = node.client()
        # the use is dated today (after the date), but the node is told it is 2021-09-30
        assert client.usage.Report(_report(node, "pinned", _today())).accepted
    finally:
        node.stop()
