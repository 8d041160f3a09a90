"""`ehc certify node` against a node in another process, reached only over the network with a
client file: the path a lab uses for a vendor's node. This node serves plaintext, so the run fails
on transport protection (SEC-009) and on nothing else; test_certify_node_repeatable_tls.py
certifies a TLS node to a pass."""

from __future__ import annotations

import json

from click.testing import CliRunner

from conformance_tests.cli import certify
from reference_node.testing import start_node


def test_certify_a_node_in_another_process(tmp_path):
    node = start_node(tmp_path, subprocess=True, extra_args=["--rate-limit", "0"])
    try:
        # the serve's client file has the demo terminal and the admin; the authorisation tests
        # need a second terminal and another organisation's: the lab writes them with the CLI
        from reference_node.cli import node as node_cli

        client_file = tmp_path / "certify-client.json"
        made = CliRunner().invoke(
            node_cli,
            ["client", "--client-file", str(node.client_file), "identities", "--out", str(client_file)],
        )
        assert made.exit_code == 0, made.output
        assert sorted(json.loads(made.output)["identities"]) == ["admin", "foreign", "peer", "terminal"]
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
                f"{node.target};client={client_file}",
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
    assert result.exit_code == 1 and failing == ["SEC-009"], failing
    sec009 = next(t for t in report["tests"] if t["requirements"] == ["SEC-009"])
    assert "plaintext" in sec009["message"]
    assert report["dut"]["implementation"] == "remote" and report["dut"]["transport"] == "plaintext"
    assert report["declaration"]["declared"]


def test_a_client_file_without_the_identities_stops_before_any_test(tmp_path):
    """The `ehc node serve` client file (terminal + admin only) cannot certify authorisation."""
    doc = {"target": "127.0.0.1:1", "terminal": {}, "admin": {}}
    cred = {"terminal_id": "T1", "secret_hex": "00" * 32, "org_code": "370800001"}
    doc["terminal"], doc["admin"] = cred, {**cred, "terminal_id": "ADMIN"}
    client_file = tmp_path / "client.json"
    client_file.write_text(json.dumps(doc), encoding="utf-8")
    client_file.chmod(0o600)  # client files holding a secret must be private (NODE_FILE_PERMISSIONS)
    out = tmp_path / "report"
    result = CliRunner().invoke(
        certify, ["node", "--target", f"127.0.0.1:1;client={client_file}", "--out", str(out), "--quiet"]
    )
    assert result.exit_code == 2, result.output
    message = result.output.strip().splitlines()
    assert len(message) == 1 and "peer, foreign" in message[0] and "ehc node client" in message[0], message
    assert not out.exists(), "a report was written for a run that could not start"
