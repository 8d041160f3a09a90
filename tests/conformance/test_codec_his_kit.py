"""Codec and HIS parts of the kit: mutant contract, the vendor plug-in path, the fault proxy."""

from __future__ import annotations

from concurrent import futures

import grpc
import pytest

from conformance_tests.catalogue import default_catalogue
from conformance_tests.faultproxy import FaultProxy
from conformance_tests.mutants import mutants_of
from reference_node.proto.ehc.node.v1 import usage_pb2

REPORT = "/ehc.node.v1.UsageService/Report"


@pytest.mark.parametrize("role", ["codec", "his"])
def test_every_mutant_names_requirements_of_its_role(role):
    catalogue = default_catalogue()
    mutants = mutants_of(role)
    assert len(mutants) >= 10
    for name, m in mutants.items():
        assert m.description and m.defect_class and m.catches, name
        for rid in m.catches:
            assert rid in catalogue and role in catalogue[rid].roles, f"{name}: {rid}"


def test_a_vendor_codec_module_is_certified_and_fails_on_its_defect(tmp_path):
    """The ``module:pkg.mod:factory`` path a third-party codec uses: a codec whose regex takes
    lower-case hex fails QR-TEXT-004 and the run."""
    from conformance_tests.runner import RunOptions, run_with_result

    code, run = run_with_result(
        RunOptions(
            role="codec",
            dut="module:conformance_tests.mutants.codec.mixed_case_regex:MUTANT",
            out=str(tmp_path / "r"),
            max_examples=5,
            quiet=True,
            certification=True,
        )
    )
    assert code == 1
    failed = {r.id for r in run.result.requirements if r.verdict == "fail"}
    assert "QR-TEXT-004" in failed


class _Upstream(grpc.GenericRpcHandler):
    """A stand-in node: acknowledges every Report and counts what it received."""

    def __init__(self) -> None:
        self.received: list[str] = []

    def service(self, details):
        def unary(request: bytes, context) -> bytes:
            record = usage_pb2.UsageRecord.FromString(request)
            self.received.append(record.request_id)
            return usage_pb2.ReportAck(request_id=record.request_id, accepted=True).SerializeToString()

        return grpc.unary_unary_rpc_method_handler(unary, request_deserializer=None, response_serializer=None)


@pytest.fixture
def proxied():
    upstream = _Upstream()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    server.add_generic_rpc_handlers((upstream,))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    proxy = FaultProxy(f"127.0.0.1:{port}")
    channel = grpc.insecure_channel(proxy.target)
    call = channel.unary_unary(
        REPORT,
        request_serializer=usage_pb2.UsageRecord.SerializeToString,
        response_deserializer=usage_pb2.ReportAck.FromString,
    )
    yield upstream, proxy, call
    channel.close()
    proxy.close()
    server.stop(0)


def test_proxy_transcript_decodes_what_the_node_received(proxied):
    upstream, proxy, call = proxied
    ack = call(usage_pb2.UsageRecord(request_id="r-1", scene="0101012", card_type="20", org_code="ORG"))
    assert ack.accepted and upstream.received == ["r-1"]
    [seen] = proxy.since(0, "Report")
    assert (seen.outcome, seen.status, seen.request.request_id, seen.request.card_type) == (
        "forwarded",
        "OK",
        "r-1",
        "20",
    )
    assert seen.summary()["scene"] == "0101012"


def test_proxy_refuses_before_the_node_and_loses_replies_after_it(proxied):
    upstream, proxy, call = proxied
    proxy.fail_next(REPORT)
    with pytest.raises(grpc.RpcError) as refused:
        call(usage_pb2.UsageRecord(request_id="r-2"))
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE and upstream.received == []
    proxy.drop_reply_next(REPORT)
    with pytest.raises(grpc.RpcError) as lost:
        call(usage_pb2.UsageRecord(request_id="r-3"))
    assert lost.value.code() == grpc.StatusCode.UNAVAILABLE
    assert upstream.received == ["r-3"], "a lost reply means the node did receive the call"
    assert [(c.request.request_id, c.outcome) for c in proxy.since(0)] == [
        ("r-2", "refused"),
        ("r-3", "reply-dropped"),
    ]
    assert call(usage_pb2.UsageRecord(request_id="r-4")).accepted  # faults are one-shot
