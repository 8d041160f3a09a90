"""``ehc node serve --processes 2`` (issue #14): two node processes on one port and one store.

Every client below opens its own TCP connection (local subchannel pool), so the kernel spreads
them over both workers (SO_REUSEPORT). What must hold whichever worker serves a call: exact
dynamic-code counts, replays refused, a suspension seen everywhere, and nothing acknowledged lost
when a worker is SIGKILLed under load (the other keeps serving; the supervisor restarts it).
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from node_helpers import register_request

from reference_node.auth import sign
from reference_node.client import SigningInterceptor, error_of
from reference_node.proto.ehc.node.v1 import issuance_pb2 as ip
from reference_node.proto.ehc.node.v1 import issuance_pb2_grpc as ig
from reference_node.proto.ehc.node.v1 import usage_pb2 as up
from reference_node.proto.ehc.node.v1 import usage_pb2_grpc as ug
from reference_node.proto.ehc.node.v1 import verification_pb2 as vp
from reference_node.proto.ehc.node.v1 import verification_pb2_grpc as vg
from reference_node.store.db import open_database
from reference_node.testing import start_node

LOCAL = [("grpc.use_local_subchannel_pool", 1)]


class _Conn:
    """A signed client on its own connection."""

    def __init__(self, target: str, creds) -> None:  # noqa: ANN001
        self.raw = grpc.insecure_channel(target, options=LOCAL)
        ch = grpc.intercept_channel(self.raw, SigningInterceptor(creds))
        self.issuance, self.verification, self.usage = (
            ig.IssuanceServiceStub(ch), vg.VerificationServiceStub(ch), ug.UsageServiceStub(ch),
        )  # fmt: skip

    def close(self) -> None:
        self.raw.close()


@pytest.fixture
def multi(tmp_path, db_url):
    node = start_node(tmp_path, db_url, subprocess=True, extra_args=["--processes", "2"], timeout=120)
    info = json.loads((node.data_dir / "endpoint.json").read_text())
    assert len(info["workers"]) == 2 and info["pid"] == node.process.pid
    conns = [_Conn(node.target, node.credentials) for _ in range(8)]
    try:
        yield node, conns, info["workers"]
    finally:
        for c in conns:
            c.close()
        node.stop()


def _ctx(node):  # noqa: ANN001, ANN202
    with node.client() as c:
        return c.context()


def _verify(conn: _Conn, text: str, ctx) -> str:  # noqa: ANN001
    try:
        return str(
            conn.verification.VerifyQr(vp.VerifyQrRequest(qr_text=text, context=ctx), timeout=30).surplus_num
        )
    except grpc.RpcError as exc:
        return error_of(exc).code.name


def test_counts_replays_and_suspension_across_processes(multi):
    node, conns, _ = multi
    ctx = _ctx(node)
    card = conns[0].issuance.Register(register_request()).card
    code = conns[1].issuance.GetQrCode(
        ip.GetQrCodeRequest(ehcid=card.ehcid, code_type=0, max_verifications=7, lifetime_seconds=120)
    )
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda c: _verify(c, code.qr_text, ctx), conns * 3))
    assert sorted(int(r) for r in results if r.isdigit()) == list(range(7)), results
    assert results.count("NODE_QR_EXHAUSTED") == 24 - 7
    # one signed request replayed on every connection: accepted once at most, refused everywhere else
    cred = node.credentials
    req = ip.GetCardRequest(ehcid=card.ehcid)
    method = "/ehc.node.v1.IssuanceService/GetCard"
    md = tuple(sign(cred.secret, method, req.SerializeToString(), terminal_id=cred.terminal_id).items())
    outcomes = []
    for c in conns:
        try:
            ig.IssuanceServiceStub(c.raw).GetCard(req, metadata=md, timeout=30)
            outcomes.append("OK")
        except grpc.RpcError as exc:
            outcomes.append(error_of(exc).code.name)
    assert outcomes[0] == "OK" and outcomes[1:] == ["NODE_AUTH_REPLAYED_NONCE"] * 7, outcomes
    # a suspension reaches every process (the change feed, change_poll_ms): static codes too
    static = f"{card.ehcid}:1"
    assert all(_verify(c, static, ctx) == "0" for c in conns)  # every process has the card cached
    conns[0].issuance.Suspend(ip.CardActionRequest(ehcid=card.ehcid))
    deadline = time.monotonic() + 30
    while True:
        seen = [_verify(c, static, ctx) for c in conns]
        if all(s == "NODE_CARD_SUSPENDED" for s in seen) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert seen == ["NODE_CARD_SUSPENDED"] * len(conns), seen


def test_sigkill_of_a_worker_under_load_loses_nothing_acknowledged(multi, db_url):
    node, conns, workers = multi
    ehcid = conns[0].issuance.Register(register_request()).card.ehcid
    org = node.credentials.org_code
    acked: list[str] = []
    failed: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def reporter(k: int) -> None:
        conn, i = conns[k], 0
        while not stop.is_set():
            rid = f"p{k}-{i}"
            rec = up.UsageRecord(
                request_id=rid, time=time.strftime("%Y%m%d%H%M%S", time.gmtime(time.time() + 8 * 3600)),
                org_code=org, use_city="370800", scene="0101011", card_type="11", channel="0100", ehcid=ehcid,
            )  # fmt: skip
            try:
                ack = conn.usage.Report(rec, timeout=30)
                with lock:
                    (acked if ack.accepted else failed).append(rid)
            except grpc.RpcError:
                with lock:
                    failed.append(rid)  # the worker died mid-call: not acknowledged, may or may not be stored
            i += 1

    threads = [threading.Thread(target=reporter, args=(k,)) for k in range(len(conns))]
    for t in threads:
        t.start()
    time.sleep(1.5)
    with lock:
        before = len(acked)
    os.kill(workers[0], signal.SIGKILL)
    time.sleep(3.0)
    stop.set()
    for t in threads:
        t.join(60)
    with lock:
        after_kill = len(acked) - before
    assert before > 0 and after_kill > 0, (before, len(acked), len(failed))  # served before and after
    assert node.process.poll() is None  # the supervisor lives on
    db = open_database(db_url, node.data_dir)
    try:
        stored = {r[0] for r in db.query("SELECT request_id FROM usage WHERE ehcid = ?", (ehcid,))}
    finally:
        db.close()
    assert set(acked) <= stored, sorted(set(acked) - stored)[:5]
    # the supervisor restarted the killed worker
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        info = json.loads((node.data_dir / "endpoint.json").read_text())
        if info["pid"] == node.process.pid:
            break
    children = _children(node.process.pid)
    while len(children) < 2 and time.monotonic() < deadline:
        time.sleep(0.5)
        children = _children(node.process.pid)
    assert workers[0] not in children and len(children) == 2, children


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()  # noqa: SIM115
            except OSError:
                continue
            if int(stat[1]) == pid and stat[0] != "Z":
                out.append(int(entry))
    return out


def test_two_node_processes_on_two_ports_share_one_postgresql(tmp_path, db_url):
    """The scale-out path (docs/node.md): separate node processes (here on one machine, on two
    ports; in production on several machines) sharing one PostgreSQL and one key file."""
    if not db_url:
        pytest.skip("this deployment needs PostgreSQL (SQLite is one machine's file)")
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
    a = start_node(
        tmp_path / "a", db_url, subprocess=True, extra_args=["--processes", "1", "--shared-nonces"]
    )
    keys = a.data_dir / "keys.json"
    b = start_node(
        tmp_path / "b",
        db_url,
        subprocess=True,
        extra_args=["--processes", "1", "--shared-nonces", "--keys", str(keys)],
    )
    try:
        assert a.target != b.target
        ca, cb = _Conn(a.target, a.credentials), _Conn(b.target, a.credentials)  # one terminal, two nodes
        ctx = _ctx(a)
        card = ca.issuance.Register(register_request()).card
        code = cb.issuance.GetQrCode(
            ip.GetQrCodeRequest(ehcid=card.ehcid, code_type=0, max_verifications=5, lifetime_seconds=120)
        )
        with ThreadPoolExecutor(6) as pool:
            results = list(pool.map(lambda c: _verify(c, code.qr_text, ctx), [ca, cb] * 8))
        assert sorted(int(r) for r in results if r.isdigit()) == list(range(5)), results
        # a report acknowledged by one node is there for the other; a replay to the other is refused
        rec = up.UsageRecord(
            request_id="two-ports-1", time=time.strftime("%Y%m%d%H%M%S", time.gmtime(time.time() + 8 * 3600)),
            org_code=a.credentials.org_code, use_city="370800", scene="0101011", card_type="11", channel="0100",
            ehcid=card.ehcid,
        )  # fmt: skip
        assert ca.usage.Report(rec, timeout=30).accepted
        assert cb.usage.Report(rec, timeout=30).duplicate
        req = ip.GetCardRequest(ehcid=card.ehcid)
        method = "/ehc.node.v1.IssuanceService/GetCard"
        cred = a.credentials
        md = tuple(sign(cred.secret, method, req.SerializeToString(), terminal_id=cred.terminal_id).items())
        ig.IssuanceServiceStub(ca.raw).GetCard(req, metadata=md, timeout=30)
        with pytest.raises(grpc.RpcError) as replay:
            ig.IssuanceServiceStub(cb.raw).GetCard(req, metadata=md, timeout=30)
        assert error_of(replay.value).code.name == "NODE_AUTH_REPLAYED_NONCE"
        ca.close()
        cb.close()
    finally:
        a.stop()
        b.stop()
