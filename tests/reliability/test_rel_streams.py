"""REL-F16: gRPC streams cannot starve the node's workers. One terminal opening 16 and more idle,
signed ``ReportStream`` calls (= the 16 worker threads) used to make every call of every terminal,
the admin's included, end in DEADLINE_EXCEEDED. Now streams have their own share of the workers
and a cap per terminal; idle streams are ended by the node. Real node, real gRPC, real threads."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import grpc
import pytest

from reference_node.client import Credentials, NodeClient, error_of
from reference_node.config import NodeConfig
from reference_node.proto.ehc.node.v1 import registry_pb2 as rp
from reference_node.proto.ehc.node.v1 import usage_pb2 as up
from reference_node.proto.ehc.node.v1 import verification_pb2 as vp
from reference_node.testing import start_node
from tests.reference_node.node_helpers import register_request

S = grpc.StatusCode
ORG_B = "370802001"


def _terminal(admin: NodeClient, tid: str, org: str) -> Credentials:
    admin.registry.UpsertTerminal(rp.Terminal(terminal_id=tid, org_code=org, terminal_type="03"))
    secret = admin.registry.IssueCredential(rp.IssueCredentialRequest(terminal_id=tid)).secret_hex
    return Credentials(tid, bytes.fromhex(secret), org, use_city="370800")


class IdleStream:
    """A signed ReportStream that sends nothing until released; its outcome is recorded."""

    def __init__(self, client: NodeClient) -> None:
        self.release = threading.Event()
        self.outcome: grpc.RpcError | str | None = None
        self.done = threading.Event()
        self._call = client.usage.ReportStream(self._requests())
        threading.Thread(target=self._consume, daemon=True).start()

    def _requests(self) -> Iterator[up.UsageRecord]:
        self.release.wait()
        return
        yield  # a generator that ends without a record

    def _consume(self) -> None:
        try:
            for _ in self._call:
                pass
            self.outcome = "OK"
        except grpc.RpcError as err:
            self.outcome = err
        self.done.set()

    def close(self) -> None:
        self.release.set()
        self._call.cancel()


def _latencies(client: NodeClient, qr: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        started = time.perf_counter()
        client.verification.VerifyQr(vp.VerifyQrRequest(qr_text=qr, context=client.context()), timeout=15)
        out.append(time.perf_counter() - started)
    return out


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory):
    node = start_node(tmp_path_factory.mktemp("streams"))  # 16 gRPC workers, default stream bounds
    admin = node.client("admin")
    admin.registry.UpsertOrganisation(
        rp.Organisation(code=ORG_B, name="二院 TEST-ONLY", level="2", area_code="370802")
    )
    org_a = node.credentials.org_code
    clients = {
        "attacker": node.client(),
        "attacker2": NodeClient(node.target, _terminal(admin, org_a + "6601", org_a)),
        "attacker3": NodeClient(node.target, _terminal(admin, org_a + "6602", org_a)),
        "victim": NodeClient(node.target, _terminal(admin, ORG_B + "0300", ORG_B)),
        "admin": admin,
    }
    yield node, clients
    for c in clients.values():
        c.close()
    node.stop()


def test_idle_streams_of_one_terminal_do_not_starve_other_terminals(env) -> None:
    node, c = env
    victim = c["victim"]
    qr = victim.issuance.Register(register_request(context=victim.context())).qr_text
    _latencies(victim, qr, 5)  # warm the card cache and the channel
    baseline = statistics.median(_latencies(victim, qr, 30))
    guard = node.grpc.streams
    streams = [IdleStream(c["attacker"]) for _ in range(24)]  # more than the 16 workers
    streams += [IdleStream(c[name]) for name in ("attacker2", "attacker3") for _ in range(6)]
    try:
        deadline = time.monotonic() + 30
        refused = [s for s in streams if s.done.is_set()]
        while time.monotonic() < deadline and len(refused) < len(streams) - guard.total:
            time.sleep(0.05)
            refused = [s for s in streams if s.done.is_set()]
        # the node holds exactly its stream share open: per terminal 4, in all half the workers
        assert guard.open_streams() == guard.total == 8
        assert len(refused) == len(streams) - 8
        for s in refused:
            assert isinstance(s.outcome, grpc.RpcError) and s.outcome.code() == S.RESOURCE_EXHAUSTED
            assert error_of(s.outcome).code.name == "NODE_STREAMS_EXHAUSTED"
        # another terminal's unary calls and the admin's keep their normal latency
        under_attack = _latencies(victim, qr, 30)
        assert statistics.median(under_attack) <= 25 * baseline, (baseline, statistics.median(under_attack))
        assert c["admin"].usage.QueryUsage(up.QueryUsageRequest(), timeout=15) is not None
        # the capped terminal's own unary calls are served too
        assert c["attacker"].issuance.Register(register_request(), timeout=15).card.ehcid
    finally:
        for s in streams:
            s.close()
    deadline = time.monotonic() + 15
    while guard.open_streams() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert guard.open_streams() == 0  # slots come back when the streams end


def test_a_working_stream_is_not_cut_and_an_idle_one_is(tmp_path) -> None:
    node = start_node(tmp_path, config=replace(NodeConfig(), stream_idle_timeout_s=1.0))
    try:
        with node.client() as c:
            ehcid = c.issuance.Register(register_request()).card.ehcid

            def records() -> Iterator[up.UsageRecord]:
                for i in range(6):  # one every 0.4 s: 2.4 s in all, past the 1 s idle bound
                    yield up.UsageRecord(
                        request_id=f"busy-{time.monotonic_ns()}-{i}", time=time.strftime("%Y%m%d%H%M%S"),
                        org_code=c.credentials.org_code, use_city="370800", scene="0101011", card_type="11",
                        channel="0100", ehcid=ehcid,
                    )  # fmt: skip
                    time.sleep(0.4)

            acks = list(c.usage.ReportStream(records(), timeout=30))
            assert [a.accepted for a in acks] == [True] * 6
            idle = IdleStream(c)
            assert idle.done.wait(10), "an idle stream was never ended"
            err = idle.outcome
            assert isinstance(err, grpc.RpcError) and err.code() == S.DEADLINE_EXCEEDED, err
            assert "NODE_STREAM_TIMEOUT" in err.details()
            idle.close()
            deadline = time.monotonic() + 10  # the handler wakes, returns its worker and its slot
            while node.grpc.streams.open_streams() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert node.grpc.streams.open_streams() == 0
            assert node.grpc.streams.ended == 1
    finally:
        node.stop()


def test_a_stream_past_its_lifetime_is_ended_and_unsigned_streams_hold_nothing(tmp_path) -> None:
    node = start_node(tmp_path, config=replace(NodeConfig(), stream_max_lifetime_s=1.5))
    try:
        with node.client() as c:
            ehcid = c.issuance.Register(register_request()).card.ehcid

            def records() -> Iterator[up.UsageRecord]:
                for i in range(50):  # busy (a record every 0.2 s) but open for 10 s
                    yield up.UsageRecord(
                        request_id=f"long-{time.monotonic_ns()}-{i}", time=time.strftime("%Y%m%d%H%M%S"),
                        org_code=c.credentials.org_code, use_city="370800", scene="0101011", card_type="11",
                        channel="0100", ehcid=ehcid,
                    )  # fmt: skip
                    time.sleep(0.2)

            acks = 0
            started = time.monotonic()
            with pytest.raises(grpc.RpcError) as info:
                for _ in c.usage.ReportStream(records(), timeout=30):
                    acks += 1
            assert info.value.code() == S.DEADLINE_EXCEEDED and "NODE_STREAM_TIMEOUT" in info.value.details()
            assert 1.5 <= time.monotonic() - started < 6 and 3 <= acks < 50
        # unsigned streams are refused before they take a slot
        with grpc.insecure_channel(node.target) as ch:
            call = ch.stream_stream("/ehc.node.v1.UsageService/ReportStream")
            for _ in range(20):
                with pytest.raises(grpc.RpcError) as info:
                    list(call(iter([]), timeout=10))
                assert info.value.code() == S.UNAUTHENTICATED
        deadline = time.monotonic() + 10
        while node.grpc.streams.open_streams() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert node.grpc.streams.open_streams() == 0 and node.grpc.streams.refused == 0
    finally:
        node.stop()
