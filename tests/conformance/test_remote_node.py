"""`ehc certify node` against a node in another process, reached only over the network with a
client file: the path a lab uses for a vendor's node."""

from __future__ import annotations

import json

from click.testing import CliRunner

from conformance_tests.cli import certify
from reference_node.testing import start_node


def test_certify_a_node_in_another_process(tmp_path):
    node = start_node(tmp_path, subprocess=True)
    try:
        ics = tmp_path / "ics.toml"
        ics.write_text(
            '[dut]\nname = "reference node as a remote DUT"\n\n[claims]\nroles = ["node"]\n\n'
            '[declared]\n"dynamic_code.clock_skew_seconds" = 2\n',
            encoding="utf-8",
        )
        out = tmp_path / "report"
        result = CliRunner().invoke(
            certify,
            [
                "node",
                "--target",
                f"{node.target};client={node.client_file}",
                "--declaration",
                str(ics),
                "--out",
                str(out),
                "--max-examples",
                "3",
                "--quiet",
                "--certification",
            ],
        )
    finally:
        node.stop()
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    failing = [r["id"] for r in report["requirements"] if r["verdict"] == "fail"]
    assert result.exit_code == 0 and failing == [], failing
    assert report["dut"]["implementation"] == "remote" and report["declaration"]["declared"]
