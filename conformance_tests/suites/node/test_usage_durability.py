"""Durability of usage reports by statistics: every acknowledged report of a large batch must be
in the node's own records.

A node that silently loses a fraction p of acknowledged reports keeps all n of a batch with
probability (1 - p)^n. For the suite to catch a 1 % loss with at least 99 % probability,
n >= ln(0.01) / ln(0.99) = 458.2; the suite sends N_REPORTS = 500 (0.99^500 = 0.66 % chance that
such a node passes) and reads back every one, not a sample.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest

from reference_node.proto.ehc.node.v1 import usage_pb2 as U

from .helpers import new_request_id, register

N_REPORTS = 500
LOSS_RATE = 0.01  # the loss the batch must expose ...
POWER = 0.99  # ... with this probability
BATCH = 100  # records read back per QueryUsage (a time window of BATCH seconds)
CST = dt.timezone(dt.timedelta(hours=8))


def _visit(context: Any, ehcid: str, request_id: str, when: dt.datetime) -> U.UsageRecord:
    """One outpatient visit's usage report by the suite's terminal (``context``) at ``when``."""
    return U.UsageRecord(
        request_id=request_id, time=f"{when:%Y%m%d%H%M%S}",
        org_code=context.org_code, org_name=context.org_name, use_city=context.use_city,
        scene="0101012", medical_step="010101", department=context.department or "5500",
        card_type="11", channel="0100", payment_category="0100", visit_type="O",
        ehcid=ehcid, terminal_id=context.terminal_id,
    )  # fmt: skip


@pytest.mark.requirement("NODE-USAGE-007")
def test_the_batch_is_large_enough():
    """The arithmetic the requirement states (no node involved)."""
    assert math.log(1 - POWER) / math.log(1 - LOSS_RATE) <= N_REPORTS
    assert (1 - LOSS_RATE) ** N_REPORTS < 1 - POWER


@pytest.mark.requirement("NODE-USAGE-007", "NODE-USAGE-005")
def test_every_acknowledged_usage_report_is_stored(dut):
    card = register(dut).card
    context = dut.context()
    # one second apart, ending a minute ago: each read-back window holds BATCH records
    start = (dt.datetime.now(CST) - dt.timedelta(seconds=N_REPORTS + 60)).replace(microsecond=0)
    run = new_request_id("durable")  # fresh for the run (helpers)
    records = [
        _visit(context, card.ehcid, f"{run}-{i:04d}", start + dt.timedelta(seconds=i))
        for i in range(N_REPORTS)
    ]
    acks = dut.stream("usage", "ReportStream", records)
    assert len(acks) == N_REPORTS, f"{len(acks)} acknowledgements for {N_REPORTS} reports"
    refused = [a for a in acks if a.error.code or not (a.accepted or a.duplicate)]
    assert not refused, f"{len(refused)} reports refused, first: {refused[0].error.code or refused[0]}"
    acknowledged = {a.request_id for a in acks}
    assert acknowledged == {r.request_id for r in records}, "acknowledgements do not match the reports"
    stored: dict[str, int] = {}
    for first in range(0, N_REPORTS, BATCH):
        window = U.QueryUsageRequest(
            ehcid=card.ehcid, from_time=records[first].time,
            to_time=f"{start + dt.timedelta(seconds=first + BATCH):%Y%m%d%H%M%S}", limit=1000,
        )  # fmt: skip
        listed, error = dut.call("usage", "QueryUsage", window)
        assert error is None, f"QueryUsage refused: {error}"
        for u in listed.records:
            stored[u.request_id] = stored.get(u.request_id, 0) + 1
    lost = sorted(acknowledged - set(stored))
    assert not lost, (
        f"{len(lost)} of {N_REPORTS} acknowledged usage reports are not in the node's records "
        f"(first: {lost[0]}); a loss rate of about {len(lost) / N_REPORTS:.1%}"
    )
    counted_twice = sorted(k for k, n in stored.items() if n > 1)
    assert not counted_twice, f"{len(counted_twice)} reports stored more than once"


N_PROBED = 200  # records of a stream sent at once (the load a batching node acknowledges early)
PROBE_EVERY = 20  # read one back as soon as its acknowledgement arrives


@pytest.mark.requirement("NODE-USAGE-007")
def test_an_acknowledged_report_is_in_the_records_when_its_ack_arrives(dut):
    """Acknowledged = stored, not "stored soon": while the stream is still open, a report read back
    by QueryUsage the moment its acknowledgement arrives must be there. A node that acknowledges
    from a write-behind buffer under load (and writes the batch a second later) loses nothing in a
    stream that ends normally — but every report it acknowledged that way would be lost by a crash
    in that second, and this is the one place the kit can see it."""
    card = register(dut).card
    context = dut.context()
    start = (dt.datetime.now(CST) - dt.timedelta(seconds=N_PROBED + 120)).replace(microsecond=0)
    run = new_request_id("acked")
    records = [
        _visit(context, card.ehcid, f"{run}-{i:04d}", start + dt.timedelta(seconds=i))
        for i in range(N_PROBED)
    ]
    by_id = {r.request_id: r for r in records}
    missing: list[str] = []
    probed = 0
    answers = dut.client("terminal").usage.ReportStream(iter(records), timeout=60)
    for n, ack in enumerate(answers):
        if n % PROBE_EVERY or not (ack.accepted or ack.duplicate) or ack.request_id not in by_id:
            continue
        record = by_id[ack.request_id]
        until = dt.datetime.strptime(record.time, "%Y%m%d%H%M%S") + dt.timedelta(seconds=1)
        window = U.QueryUsageRequest(
            ehcid=card.ehcid, from_time=record.time, to_time=f"{until:%Y%m%d%H%M%S}", limit=10
        )
        listed, error = dut.call("usage", "QueryUsage", window)
        assert error is None, f"QueryUsage refused: {error}"
        probed += 1
        if record.request_id not in {u.request_id for u in listed.records}:
            missing.append(record.request_id)
    dut.log.call(
        "ReportStream (read back on each acknowledgement)", {"records": N_PROBED}, {"probed": probed}
    )
    assert probed >= N_PROBED // PROBE_EVERY - 1, f"only {probed} acknowledgements to probe"
    assert not missing, (
        f"{len(missing)} of {probed} reports were not in the node's records when their acknowledgement "
        f"arrived (first: {missing[0]}): acknowledged before they were stored"
    )


N_THREADS, N_PER_THREAD = 8, 8  # unary reports sent concurrently (a busy hospital)


@pytest.mark.requirement("NODE-USAGE-007")
def test_concurrent_unary_reports_are_in_the_records_when_answered(dut):
    """The unary path under load: eight terminals' worth of concurrent Report calls, each read back
    by QueryUsage as soon as it is answered. A node that answers from a write-behind queue when it
    is busy (and writes a second later) passes a one-at-a-time test and this one only if it
    stores before it answers."""
    import threading

    card = register(dut).card
    context = dut.context()
    start = (dt.datetime.now(CST) - dt.timedelta(seconds=N_THREADS * N_PER_THREAD + 180)).replace(
        microsecond=0
    )
    run = new_request_id("busy")
    stub = dut.client("terminal").usage
    missing: list[str] = []
    failures: list[str] = []

    def worker(t: int) -> None:
        for k in range(N_PER_THREAD):
            i = t * N_PER_THREAD + k
            when = start + dt.timedelta(seconds=i)
            record = _visit(context, card.ehcid, f"{run}-{i:03d}", when)
            try:
                ack = stub.Report(record, timeout=30)
                window = U.QueryUsageRequest(
                    ehcid=card.ehcid, from_time=record.time,
                    to_time=f"{when + dt.timedelta(seconds=1):%Y%m%d%H%M%S}", limit=10,
                )  # fmt: skip
                listed = stub.QueryUsage(window, timeout=30)
            except Exception as exc:  # noqa: BLE001 - reported as a failure below
                failures.append(f"{record.request_id}: {type(exc).__name__}")
                continue
            if (ack.accepted or ack.duplicate) and record.request_id not in {
                u.request_id for u in listed.records
            }:
                missing.append(record.request_id)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(N_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    dut.log.call(
        "Report x concurrent (read back on each answer)",
        {"threads": N_THREADS, "per_thread": N_PER_THREAD},
        {"missing": len(missing), "failures": failures[:3]},
    )
    assert not failures, f"{len(failures)} calls failed, first: {failures[0]}"
    assert not missing, (
        f"{len(missing)} of {N_THREADS * N_PER_THREAD} concurrent reports were not in the node's records when "
        f"answered (first: {missing[0]}): acknowledged before they were stored"
    )
