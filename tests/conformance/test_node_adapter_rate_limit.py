"""A node's per-terminal rate limit is flow control, not a verdict: the node adapter backs off,
calls again (signed anew) and writes each back-off into the transcript."""

from types import SimpleNamespace

from conformance_tests.adapters.node import GrpcNode
from conformance_tests.catalogue import load_catalogue
from conformance_tests.profiles import load_profile
from conformance_tests.transcript import TranscriptHolder
from reference_node.config import NodeConfig
from reference_node.proto.ehc.node.v1 import registry_pb2 as R
from reference_node.testing import start_node


def test_rate_limited_calls_are_retried_and_recorded(tmp_path) -> None:
    node = start_node(tmp_path, config=NodeConfig(rate_limit_per_s=20.0, rate_limit_burst=2))
    try:
        holder = TranscriptHolder()
        adapter = GrpcNode(
            SimpleNamespace(holder=holder, profile=load_profile("national", load_catalogue())),
            node.target,
            node.credentials,
            node.admin_credentials,
        )
        results = [
            adapter.call("registry", "ListOrganisations", R.ListOrganisationsRequest()) for _ in range(12)
        ]
        assert all(error is None for _, error in results), [e for _, e in results if e]
        notes = [
            s for s in holder.current.steps if s.get("kind") == "note" and "NODE_RATE_LIMITED" in s["text"]
        ]
        assert notes, "the node never rate-limited: the test would prove nothing"
    finally:
        node.stop()
