"""Group commit (issue #14): usage reports and dynamic-code decrements share commits, and still
answer only after the commit that holds them; idempotency by (terminal, request id) holds inside
one batch. The batch is forced deterministically: the first unit holds the committer until the
others are queued behind it."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import grpc
from node_helpers import register_request

from ehc.errors import EhcError
from reference_node.client import error_of
from reference_node.errors import QR_EXHAUSTED
from reference_node.proto.ehc.node.v1 import issuance_pb2 as ip
from reference_node.proto.ehc.node.v1 import usage_pb2 as up
from reference_node.proto.ehc.node.v1 import verification_pb2 as vp
from reference_node.store.group import GroupCommitter, committer_of


def _hold(committer: GroupCommitter) -> tuple[threading.Event, threading.Thread]:
    """Occupy the committer with a unit that waits for ``release``; returns (release, thread)."""
    release, started = threading.Event(), threading.Event()

    def blocker(cur: object) -> None:
        started.set()
        release.wait(30)

    t = threading.Thread(target=committer.run, args=(blocker,), kwargs={"timeout_ms": 60_000})
    t.start()
    assert started.wait(30)
    return release, t


def _queued(committer: GroupCommitter, n: int) -> None:
    for _ in range(3000):
        if len(committer._queue) >= n:
            return
        time.sleep(0.01)
    raise AssertionError(f"only {len(committer._queue)} of {n} units were queued")


def _record(ehcid: str, org: str, request_id: str, scene: str = "0101011") -> up.UsageRecord:
    return up.UsageRecord(
        request_id=request_id, time=time.strftime("%Y%m%d%H%M%S", time.gmtime(time.time() + 8 * 3600)),
        org_code=org, use_city="370800", scene=scene, card_type="11", channel="0100", ehcid=ehcid,
    )  # fmt: skip


def _report(client, record: up.UsageRecord) -> str:
    try:
        ack = client.usage.Report(record, timeout=60)
    except grpc.RpcError as exc:
        return error_of(exc).code.name
    return "duplicate" if ack.duplicate else "accepted" if ack.accepted else "refused"


def test_reports_share_one_commit_and_stay_idempotent_inside_it(running, client):
    ehcid = client.issuance.Register(register_request()).card.ehcid
    org = client.credentials.org_code
    committer = committer_of(running.node)
    release, holder = _hold(committer)
    batches = committer.batches
    same = _record(ehcid, org, "gc-same")
    records = [same, same, _record(ehcid, org, "gc-same", scene="0101012")]
    records += [_record(ehcid, org, f"gc-{i}") for i in range(5)]
    with ThreadPoolExecutor(len(records)) as pool:
        futures = [pool.submit(_report, client, r) for r in records]
        _queued(committer, len(records))
        assert not any(f.done() for f in futures)  # nothing is answered before its commit
        release.set()
        results = [f.result() for f in futures]
    holder.join(30)
    # the holder's batch, then ONE batch for all eight reports
    assert committer.batches == batches + 2, (committer.batches, batches)
    # whichever of the three same-id reports the committer takes first is stored; the identical
    # twin of the stored one is a duplicate, a report with other content a conflict
    if results[2] == "accepted":  # the other-scene report came first: both twins conflict with it
        assert results[:2] == ["NODE_USAGE_CONFLICT"] * 2, results
    else:
        assert sorted(results[:3]) == ["NODE_USAGE_CONFLICT", "accepted", "duplicate"], results
    assert results[3:] == ["accepted"] * 5
    got = client.usage.QueryUsage(up.QueryUsageRequest(ehcid=ehcid, limit=100)).records
    assert sorted(r.request_id for r in got) == sorted(["gc-same"] + [f"gc-{i}" for i in range(5)])


def test_dynamic_decrements_share_one_commit_and_stay_exact(running, client):
    card = client.issuance.Register(register_request()).card
    code = client.issuance.GetQrCode(
        ip.GetQrCodeRequest(ehcid=card.ehcid, code_type=0, max_verifications=4, lifetime_seconds=120)
    )
    committer = committer_of(running.node)
    release, holder = _hold(committer)
    batches = committer.batches

    def attempt() -> str:
        try:
            req = vp.VerifyQrRequest(qr_text=code.qr_text, context=client.context())
            return str(client.verification.VerifyQr(req, timeout=60).surplus_num)
        except grpc.RpcError as exc:
            return error_of(exc).code.name

    with ThreadPoolExecutor(7) as pool:
        futures = [pool.submit(attempt) for _ in range(7)]
        _queued(committer, 7)
        release.set()
        results = [f.result() for f in futures]
    holder.join(30)
    assert committer.batches == batches + 2
    assert sorted(r for r in results if r.isdigit()) == ["0", "1", "2", "3"], results
    assert results.count("NODE_QR_EXHAUSTED") == 3


def test_a_failing_unit_does_not_fail_its_batch(running):
    committer = committer_of(running.node)
    release, holder = _hold(committer)
    db = running.node.db

    def good(i: int):
        return lambda cur: cur.run(
            "INSERT INTO card_changes (ehcid, changed_at) VALUES (?, ?)", (f"gc-test-{i}", "20260101000000")
        )

    def bad(cur) -> None:  # a constraint violation aborts the shared transaction
        cur.run("INSERT INTO card_changes (id, ehcid, changed_at) VALUES (?, ?, ?)", (1, "x", "y"))
        cur.run("INSERT INTO card_changes (id, ehcid, changed_at) VALUES (?, ?, ?)", (1, "x", "y"))

    def refused(cur) -> None:
        raise EhcError(QR_EXHAUSTED)

    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(committer.run, w, timeout_ms=60_000) for w in (good(1), bad, refused, good(2))]
        _queued(committer, 4)
        release.set()
        outcomes = []
        for f in futures:
            try:
                outcomes.append(f.result())
            except EhcError as err:
                outcomes.append(err.code.name)
    holder.join(30)
    assert outcomes == [1, "NODE_STORE_ERROR", "NODE_QR_EXHAUSTED", 1], outcomes
    rows = db.query(
        "SELECT ehcid FROM card_changes WHERE ehcid IN (?, ?) ORDER BY ehcid", ("gc-test-1", "gc-test-2")
    )
    assert rows == [("gc-test-1",), ("gc-test-2",)]
