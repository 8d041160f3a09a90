"""``ehc node frontend``: documented, terminals set up offline, outbox status."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from reference_node.cli import node
from reference_node.client import Credentials, load_client_file


def _hospital_file(path: Path) -> Path:
    hospital = Credentials("3708000015500", b"s" * 32, "370800001", "测试医院", "370800")
    path.write_text(json.dumps({"target": "127.0.0.1:1", "terminal": hospital.to_dict()}))
    path.chmod(0o600)  # client files holding a secret must be private (NODE_FILE_PERMISSIONS)
    return path


def test_help_documents_the_front_end() -> None:
    out = CliRunner().invoke(node, ["frontend", "--help"])
    assert out.exit_code == 0, out.output
    for words in ("--upstream", "--client-file", "--cache-max-age", "--poll-interval", "--add-terminal",
                  "synchronous FULL", "exactly once", "docs/frontend.md"):  # fmt: skip
        assert words in out.output, words


def test_setup_only_writes_terminal_client_files_and_status_reads_the_outbox(tmp_path: Path) -> None:
    hospital = _hospital_file(tmp_path / "hospital.json")
    data = tmp_path / "fe"
    args = ["frontend", "--client-file", str(hospital), "--data-dir", str(data), "--port", "50999"]
    out = CliRunner().invoke(node, [*args, "--add-terminal", "HIS-0001", "--setup-only"])
    assert out.exit_code == 0, out.output
    target, creds = load_client_file(data / "terminals" / "HIS-0001.json")
    assert target == "127.0.0.1:50999" and creds.terminal_id == "HIS-0001"
    assert creds.org_code == "370800001" and creds.secret != b"s" * 32  # its own key, not the hospital's
    assert (data / "terminals" / "HIS-0001.json").stat().st_mode & 0o777 == 0o600
    again = CliRunner().invoke(node, [*args, "--add-terminal", "HIS-0001", "--setup-only"])
    assert again.exit_code == 0 and load_client_file(data / "terminals" / "HIS-0001.json")[1] == creds
    status = CliRunner().invoke(node, [*args, "--status"])
    assert status.exit_code == 0, status.output
    assert json.loads(status.output) == {
        "outbox": {"pending": 0, "delivered": 0, "rejected": 0},
        "rejected": [],
    }
    bad = CliRunner().invoke(node, [*args, "--add-terminal", "bad id!", "--setup-only"])
    assert bad.exit_code != 0


def test_enrol_registers_the_front_end_at_the_node(tmp_path: Path) -> None:
    from fe_helpers import new_card

    from reference_node.client import NodeClient
    from reference_node.frontend.auth import issue_terminal
    from reference_node.frontend.relay import start_frontend
    from reference_node.proto.ehc.node.v1 import verification_pb2 as vp
    from reference_node.testing import start_node

    city = start_node(tmp_path / "n")
    try:
        out = tmp_path / "hospital.json"
        org = city.credentials.org_code
        args = ["frontend", "--client-file", str(out), "--upstream", city.target, "--enrol", str(city.client_file),
                "--enrol-terminal", "FE-370800001", "--enrol-org", org]  # fmt: skip
        result = CliRunner().invoke(node, args)
        assert result.exit_code == 0, result.output
        target, hospital = load_client_file(out)
        assert (target, hospital.terminal_id, hospital.org_code) == (city.target, "FE-370800001", org)
        assert out.stat().st_mode & 0o777 == 0o600
        again = CliRunner().invoke(node, args)
        assert again.exit_code != 0 and "exists" in again.output  # never overwrites a credential
        fe = start_frontend(tmp_path / "fe", target, hospital)
        try:
            creds = issue_terminal(fe.store, "HIS-0001", hospital)
            with city.client() as nc, NodeClient(fe.target, creds) as tc:
                _, static = new_card(nc)
                tc.verification.VerifyQr(vp.VerifyQrRequest(qr_text=static, context=tc.context()))
        finally:
            fe.stop()
    finally:
        city.stop()
