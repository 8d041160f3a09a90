"""/metrics through prometheus_client (issue #17): the names, labels and buckets the node always
exposed, and counts that add up over ``ehc node serve --processes 2`` (multiprocess mode)."""

from __future__ import annotations

import glob
import json
import os
import signal
import time

import grpc
import httpx
import pytest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from reference_node.client import SigningInterceptor, error_of
from reference_node.observability import _BUCKETS, METRICS, Metrics
from reference_node.proto.ehc.node.v1 import verification_pb2 as vp
from reference_node.proto.ehc.node.v1 import verification_pb2_grpc as vg
from reference_node.testing import start_node


def _samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for fam in text_string_to_metric_families(text)
        for s in fam.samples
    }


def test_exposition_keeps_names_labels_and_buckets() -> None:
    m = Metrics()
    m.inc("ehc_node_requests_total", method="VerifyQr", result="OK")
    m.inc("ehc_node_requests_total", method="VerifyQr", result="OK")
    m.inc("ehc_node_usage_total", result="duplicate")
    m.inc("ehc_node_usage_total", result="accepted", card_type="1")
    m.inc("ehc_node_cards_issued_total", 3.0)
    m.observe("ehc_node_request_seconds", 0.001, method="VerifyQr")  # on a bound: in that bucket (le)
    m.observe("ehc_node_request_seconds", 7.0, method="VerifyQr")
    text = m.render().decode()
    assert "# TYPE ehc_node_requests_total counter" in text
    assert "# TYPE ehc_node_request_seconds histogram" in text
    assert "_created" not in text
    got = _samples(text)
    assert got[("ehc_node_requests_total", frozenset({("method", "VerifyQr"), ("result", "OK")}))] == 2
    assert got[("ehc_node_usage_total", frozenset({("result", "duplicate"), ("card_type", "")}))] == 1
    assert got[("ehc_node_usage_total", frozenset({("result", "accepted"), ("card_type", "1")}))] == 1
    assert got[("ehc_node_cards_issued_total", frozenset())] == 3
    buckets = {dict(k[1])["le"]: v for k, v in got.items() if k[0] == "ehc_node_request_seconds_bucket"}
    assert list(buckets) == [*(repr(float(b)) for b in _BUCKETS), "+Inf"]
    assert buckets["0.0005"] == 0 and buckets["0.001"] == 1 and buckets["5.0"] == 1 and buckets["+Inf"] == 2
    assert got[("ehc_node_request_seconds_sum", frozenset({("method", "VerifyQr")}))] == pytest.approx(7.001)
    assert m.value("ehc_node_requests_total", method="VerifyQr", result="OK") == 2
    assert m.value("ehc_node_rate_limited_total") == 0


def test_an_undeclared_metric_or_label_is_refused() -> None:
    m = Metrics()
    with pytest.raises(KeyError, match="not declared"):
        m.inc("ehc_node_typo_total")
    with pytest.raises(KeyError, match="no label"):
        m.inc("ehc_node_requests_total", methd="x")
    assert all(name.startswith("ehc_node_") for name in METRICS)


def test_counts_add_up_across_two_processes(tmp_path) -> None:
    node = start_node(
        tmp_path, None, subprocess=True, http=True, extra_args=["--processes", "2"], timeout=120
    )
    calls = 24
    try:
        ctx = None
        for _ in range(calls):
            # each call on its own connection: the kernel spreads them over both workers (SO_REUSEPORT)
            raw = grpc.insecure_channel(node.target, options=[("grpc.use_local_subchannel_pool", 1)])
            stub = vg.VerificationServiceStub(
                grpc.intercept_channel(raw, SigningInterceptor(node.credentials))
            )
            try:
                stub.VerifyQr(vp.VerifyQrRequest(qr_text="not a code", context=ctx), timeout=30)
                result = "OK"
            except grpc.RpcError as exc:
                result = error_of(exc).code.name
            finally:
                raw.close()
        per_worker = []
        for path in glob.glob(os.path.join(node.data_dir, "metrics", "counter_*.db")):
            fam = {f.name: f for f in MultiProcessCollector.merge([path])}["ehc_node_requests"]
            per_worker.append(sum(s.value for s in fam.samples if s.labels.get("method") == "VerifyQr"))
        assert len(per_worker) == 2 and sum(per_worker) == calls, per_worker
        assert min(per_worker) > 0, f"one worker served every call: {per_worker}"
        key = ("ehc_node_requests_total", frozenset({("method", "VerifyQr"), ("result", result)}))
        seen = set()
        for _ in range(6):  # new connections: /metrics answered by either worker, each adds all files
            got = _samples(httpx.get(f"http://127.0.0.1:{node.http_port}/metrics", timeout=30).text)
            seen.add(got.get(key))
            assert got[("ehc_node_request_seconds_count", frozenset({("method", "VerifyQr")}))] == calls
        assert seen == {calls}, seen
        # a worker killed and restarted: the calls it served stay counted (its file stays)
        info = json.loads((node.data_dir / "endpoint.json").read_text())
        os.kill(info["workers"][0], signal.SIGKILL)
        deadline = time.monotonic() + 60
        while len(glob.glob(os.path.join(node.data_dir, "metrics", "counter_*.db"))) < 3:
            assert time.monotonic() < deadline, "the supervisor did not restart the worker"
            time.sleep(0.2)
        for _ in range(4):
            got = _samples(httpx.get(f"http://127.0.0.1:{node.http_port}/metrics", timeout=30).text)
            assert got.get(key) == calls, got.get(key)
    finally:
        node.stop()
