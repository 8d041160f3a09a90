"""``ehc node supervision`` commands on a node's data directory, and bench runs over gRPC."""

from __future__ import annotations

import csv
import io
import json

import grpc
import pytest
from click.testing import CliRunner
from sv_history import H3A, H3C

from reference_node.cli import node as node_group
from reference_node.proto.ehc.node.v1 import supervision_pb2 as pb
from reference_node.proto.ehc.node.v1 import supervision_pb2_grpc
from reference_node.supervision import bench


@pytest.fixture
def sqlite_node(tmp_path):
    """The CLI opens the node's own SQLite file (PostgreSQL is covered through the API tests)."""
    from sv_history import build_hand_history

    from reference_node.config import NodeConfig
    from reference_node.testing import start_node

    node = start_node(
        tmp_path, config=NodeConfig(usage_max_age_days=36500, usage_requires_known_card=False)
    )  # 2019-2021 history
    try:
        build_hand_history(node)
        yield node
    finally:
        node.stop()


def test_cli_report_population_reader(sqlite_node, tmp_path):
    hand_node = sqlite_node
    runner = CliRunner()
    data = str(hand_node.data_dir)
    out = runner.invoke(node_group, ["supervision", "report", "--data-dir", data, "--start", "2019-07-01",
                                     "--end", "2019-12-31", "--csv", "hospitals"])  # fmt: skip
    assert out.exit_code == 0, out.output
    rows = {r["org_code"]: r for r in csv.DictReader(io.StringIO(out.output))}
    assert rows[H3A]["visits"] == "5" and rows[H3C]["visits"] == "3"
    out = runner.invoke(node_group, ["supervision", "report", "--data-dir", data, "--start", "2019-07-01",
                                     "--end", "2019-12-31", "--escalations"])  # fmt: skip
    assert out.exit_code == 0, out.output
    assert {e["code"] for e in json.loads(out.output)["escalations"]} == {"370811", "370812"}
    figures = tmp_path / "pop.csv"
    figures.write_text("area_code,population\n370811,8\n", encoding="utf-8")
    out = runner.invoke(node_group, ["supervision", "population", str(figures), "--data-dir", data])
    assert out.exit_code == 0 and json.loads(out.output) == {"written": 1}
    out = runner.invoke(node_group, ["supervision", "report", "--data-dir", data, "--start", "2019-07-01",
                                     "--end", "2019-12-31", "--area", "370811"])  # fmt: skip
    assert json.loads(out.output)["summary"]["population"] == 8
    out = runner.invoke(node_group, ["supervision", "report", "--data-dir", data, "--start", "2019-07-01",
                                     "--end", "2019-02-31"])  # fmt: skip
    assert out.exit_code == 1 and "NODE_FIELD_BAD_FORMAT" in out.output
    out = runner.invoke(node_group, ["supervision", "reader", "NOPE0001", "--data-dir", data])
    assert out.exit_code != 0 and "not registered" in out.output
    out = runner.invoke(
        node_group, ["supervision", "reader", hand_node.credentials.terminal_id, "--data-dir", data]
    )
    assert out.exit_code == 0, out.output


def test_bench_runs_over_grpc(hand_node):
    first = bench.samples()[0]
    with hand_node.client("admin") as c:
        stub = supervision_pb2_grpc.SupervisionServiceStub(c.channel)
        ack = stub.SubmitBenchRun(pb.BenchRun(scanner="TEST-ONLY", results=[
            pb.BenchResult(sample_id=first.sample_id, typed=first.text, millis=120.0, verdict="misread"),
            pb.BenchResult(sample_id="invalid-1", typed="garbage", millis=300.0, correct=True),
        ]))  # fmt: skip
        runs = stub.ListBenchRuns(pb.ListBenchRunsRequest(run_id=ack.run_id)).runs
        assert len(runs) == 1
        # the node's verdicts, not the client's
        assert [r.verdict for r in runs[0].results] == ["correct", "misread"]
        assert (runs[0].codes_correct, runs[0].misreads, runs[0].median_millis) == (1, 1, 210.0)
        with pytest.raises(grpc.RpcError) as info:
            stub.ListBenchRuns(pb.ListBenchRunsRequest(run_id="0" * 16))
        assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    with hand_node.client() as c:
        stub = supervision_pb2_grpc.SupervisionServiceStub(c.channel)
        with pytest.raises(grpc.RpcError) as info:
            stub.ListBenchRuns(pb.ListBenchRunsRequest())
        assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED
