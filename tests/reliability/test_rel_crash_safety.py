"""Crash safety: SIGKILL the node while usage reports stream in and batch registrations commit,
restart it on the same store, and check that every ACKNOWLEDGED report and registration is there,
that every stored row is exactly what was sent, and that nothing is half-written (a person
without its card, a card without its person). SQLite (WAL, synchronous=FULL) and PostgreSQL.

Kill points are random, seeded (EHC_CRASH_SEED, printed) and counted in acknowledgements: the
node is killed right after the n-th usage ack of a round, with both streams in flight. One node
process per kill point, started ahead of time (rel_node.NodeLauncher); EHC_CRASH_POINTS (default 20) per store.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import threading
import time
from dataclasses import dataclass, field

import grpc
import pytest
from rel_node import NodeLauncher
from rel_store import StoreReader, pg_admin_url, private_pg_database

from ehc.spec.identifiers import make_citizen_id
from reference_node.proto.ehc.node.v1 import issuance_pb2 as ip
from reference_node.proto.ehc.node.v1 import usage_pb2 as up

POINTS = int(os.environ.get("EHC_CRASH_POINTS", "20"))
SEED = int(os.environ.get("EHC_CRASH_SEED", str(random.randrange(2**31))))


@dataclass
class Ledger:
    """What the client sent and what the node acknowledged, across all rounds."""

    sent_usage: dict[str, up.UsageRecord] = field(default_factory=dict)
    acked_usage: set[str] = field(default_factory=set)
    sent_docs: set[str] = field(default_factory=set)
    acked_regs: dict[str, tuple[str, str]] = field(default_factory=dict)  # doc -> (main_index, ehcid)
    lock: threading.Lock = field(default_factory=threading.Lock)
    ehcid: str = ""  # a card the node issued: usage must name one (REL-F21)


def _usage(round_no: int, i: int, org: str, ehcid: str) -> up.UsageRecord:
    t = dt.datetime(2026, 11, 26, 8, 0, 0) + dt.timedelta(seconds=round_no * 10_000 + i)
    return up.UsageRecord(
        request_id=f"crash-{round_no}-{i}", time=t.strftime("%Y%m%d%H%M%S"), org_code=org, use_city="370800",
        scene="0101011" if i % 2 else "0101012", card_type="11", channel="0100", ehcid=ehcid,
    )  # fmt: skip


def _stream_usage(client, ledger: Ledger, round_no: int, acked_now: list[int]) -> None:  # noqa: ANN001
    org = client.credentials.org_code

    def records():  # noqa: ANN202
        for i in range(100_000):
            rec = _usage(round_no, i, org, ledger.ehcid)
            with ledger.lock:
                ledger.sent_usage[rec.request_id] = rec
            yield rec

    try:
        for ack in client.usage.ReportStream(records()):
            if ack.accepted or ack.duplicate:
                with ledger.lock:
                    ledger.acked_usage.add(ack.request_id)
                acked_now[0] += 1
    except grpc.RpcError:
        pass  # the node was killed


def _stream_registrations(client, ledger: Ledger, round_no: int, rng: random.Random) -> None:  # noqa: ANN001
    n = 0
    try:
        while True:
            batch = []
            for _ in range(3):
                n += 1
                number = make_citizen_id(
                    "370802", dt.date(1960, 1, 1) + dt.timedelta(days=round_no * 400 + n), n % 1000
                )
                with ledger.lock:
                    ledger.sent_docs.add(number)
                batch.append(ip.RegisterRequest(
                    application_mode="3", name="崩溃测试", document_type="01", document_number=number,
                    sex="1" if int(number[16]) % 2 else "2", nation="01", area_code="370802",
                    request_id=f"reg-{round_no}-{n}",
                ))  # fmt: skip
            for result in client.issuance.RegisterBatch(iter(batch)):
                for item in result.items:
                    if item.ok:
                        doc = batch[item.index % 3].document_number
                        with ledger.lock:
                            ledger.acked_regs[doc] = (item.main_index, item.ehcid)
    except grpc.RpcError:
        pass


def _verify(store: StoreReader, ledger: Ledger) -> tuple[int, int]:
    rows = store.rows(
        "SELECT request_id, time, org_code, use_city, scene, card_type, channel, ehcid FROM usage "
        "WHERE request_id LIKE ?",
        ("crash-%",),
    )
    stored = {r[0]: r for r in rows}
    missing = sorted(ledger.acked_usage - stored.keys())
    assert not missing, f"{len(missing)} acknowledged usage reports lost, e.g. {missing[:5]}"
    for rid, row in stored.items():
        sent = ledger.sent_usage[rid]
        expected = (
            rid,
            sent.time,
            sent.org_code,
            sent.use_city,
            sent.scene,
            sent.card_type,
            sent.channel,
            sent.ehcid,
        )
        assert row == expected, f"usage {rid} stored differently from what was sent: {row} != {expected}"
    cards = {r[0]: r[1] for r in store.rows("SELECT ehcid, main_index FROM cards")}
    persons = {r[0] for r in store.rows("SELECT main_index FROM persons")}
    for main_index, ehcid in ledger.acked_regs.values():
        assert cards.get(ehcid) == main_index, f"acknowledged registration lost (card {ehcid[:8]}…)"
        assert main_index in persons, f"acknowledged registration lost (person {main_index[:8]}…)"
    orphans = [mi for mi in set(cards.values()) if mi not in persons]
    assert not orphans, f"half-written: {len(orphans)} cards without a person"
    cardless = persons - set(cards.values())
    assert not cardless, f"half-written: {len(cardless)} persons without a card"
    return len(stored), len(cards)


def _run_kill_points(tmp_path, db_url: str | None, label: str) -> None:  # noqa: ANN001
    rng = random.Random(f"{SEED}-{label}")
    ledger = Ledger()
    store = StoreReader(db_url, tmp_path / "ehc-node")
    print(f"crash safety {label}: seed {SEED}, {POINTS} kill points")
    stored = cards = 0
    launcher = NodeLauncher(tmp_path / "ehc-node", db_url, tmp_path / "node-process.log")
    for round_no in range(POINTS + 1):
        # each start after a kill recovers the store; the same process then takes the next kill
        proc = launcher.launch()
        try:
            stored, cards = _verify(store, ledger)
            if round_no == POINTS:
                break
            kill_after = rng.randint(1, 120)
            acked_now = [0]
            with proc.client() as c, proc.client("admin") as admin:
                if not ledger.ehcid:
                    number = make_citizen_id("370802", dt.date(1950, 1, 1), 999)  # apart from the batch's
                    ledger.ehcid = c.issuance.Register(ip.RegisterRequest(
                        application_mode="3", name="用卡测试", document_type="01", document_number=number,
                        sex="1" if int(number[16]) % 2 else "2", nation="01", area_code="370802",
                    )).card.ehcid  # fmt: skip
                threads = [
                    threading.Thread(target=_stream_usage, args=(c, ledger, round_no, acked_now), daemon=True),
                    threading.Thread(target=_stream_registrations, args=(admin, ledger, round_no, rng), daemon=True),
                ]  # fmt: skip
                for t in threads:
                    t.start()
                deadline = time.monotonic() + 20
                while acked_now[0] < kill_after and time.monotonic() < deadline:
                    time.sleep(0.001)
                proc.kill()
                for t in threads:
                    t.join(20)
        finally:
            proc.kill()
        print(f"  kill point {round_no}: after usage ack {acked_now[0]} (target {kill_after}), "
              f"acked so far {len(ledger.acked_usage)} reports / {len(ledger.acked_regs)} registrations")  # fmt: skip
        assert acked_now[0] >= 1, "the node acknowledged nothing before the kill deadline"
    launcher.close()
    assert ledger.acked_regs, "no registration was acknowledged in any round"
    print(f"crash safety {label}: {len(ledger.acked_usage)} acked reports and {len(ledger.acked_regs)} "
          f"acked registrations all present after {POINTS} SIGKILLs; {stored} reports and {cards} cards stored")  # fmt: skip


def test_sigkill_sqlite_loses_nothing_acknowledged(tmp_path):
    _run_kill_points(tmp_path, None, "sqlite")


def test_sigkill_postgresql_loses_nothing_acknowledged(tmp_path):
    admin_url, reason = pg_admin_url()
    if admin_url is None:
        print(f"SKIP PostgreSQL crash safety: {reason}")
        pytest.skip(reason)
    with private_pg_database(admin_url) as (url, _):
        _run_kill_points(tmp_path, url, "postgresql")
