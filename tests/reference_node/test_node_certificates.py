"""检测备案 (seed 000): a Jining node refuses a terminal without a valid certificate for its profile
and accepts it once its signed PASS report is registered (`ehc node registry add-certificate`)."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import grpc
import pytest
from click.testing import CliRunner
from node_helpers import register_request

from conformance_tests.reportsign import sign_directory
from ehc.gm import SM2PrivateKey
from reference_node.cli import node as node_cli
from reference_node.client import error_of
from reference_node.config import NodeConfig
from reference_node.testing import start_node

JINING = NodeConfig(require_certified_terminals=True, profile="shandong-jining", change_poll_ms=50)


def _report(tmp: Path, key: SM2PrivateKey, *, profile: str = "shandong-jining", verdict: str = "pass",
            role: str = "terminal") -> Path:  # fmt: skip
    """A report directory as `ehc certify terminal` writes it (report.json + files), signed."""
    out = tmp / f"report-{uuid.uuid4().hex[:8]}"
    out.mkdir()
    report = {
        "report_id": str(uuid.uuid4()), "verdict": verdict, "role": role, "mode": "certification",
        "dut": {"adapter": "terminal:driver", "name": "Acme HealthReader X1", "version": "2.4.1"},
        "profile": {"name": profile, "title": profile, "chain": [profile], "parameters": {}, "requirements": 1},
    }  # fmt: skip
    (out / "report.json").write_text(json.dumps(report), encoding="utf-8")
    (out / "junit.xml").write_text("<testsuite/>", encoding="utf-8")
    sign_directory(out, key, "lab key test.pem", False)
    return out


def _lab(tmp: Path) -> tuple[SM2PrivateKey, Path]:
    key = SM2PrivateKey.generate()
    pem = tmp / f"lab-{uuid.uuid4().hex[:6]}.pub.pem"
    pem.write_bytes(key.public_key.to_pem())
    return key, pem


def _cli(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(node_cli, list(args), catch_exceptions=False)
    return res.exit_code, res.output


def _calls(client) -> str:
    """'' when the terminal may call, else the kit error code of the refusal."""
    try:
        client.issuance.Register(register_request())
        return ""
    except grpc.RpcError as exc:
        return error_of(exc).code.name


def _wait_for(client, expected: str) -> str:
    deadline = time.monotonic() + 5
    got = _calls(client)
    while got != expected and time.monotonic() < deadline:
        time.sleep(0.05)
        got = _calls(client)
    return got


@pytest.fixture
def jining(tmp_path):
    node = start_node(tmp_path, config=JINING)
    yield node
    node.stop()


def test_a_terminal_is_refused_until_its_signed_pass_report_is_registered(jining, tmp_path):
    terminal = jining.client()
    tid, data = jining.credentials.terminal_id, str(jining.data_dir)
    assert _calls(terminal) == "NODE_TERMINAL_NOT_CERTIFIED"
    assert _calls(jining.client("admin")) == ""  # the operator is not a terminal
    key, pem = _lab(tmp_path)
    report = _report(tmp_path, key)
    code, out = _cli(
        "registry",
        "add-certificate",
        str(report),
        "--terminal",
        tid,
        "--lab-key",
        str(pem),
        "--data-dir",
        data,
    )
    assert code == 0, out
    cert = json.loads(out)
    assert (cert["product"], cert["version"], cert["profile"], cert["verdict"]) == (
        "Acme HealthReader X1", "2.4.1", "shandong-jining", "pass",
    )  # fmt: skip
    assert _wait_for(terminal, "") == ""
    # revocation: refused again at the next call (change feed), and both steps audited
    code, out = _cli(
        "registry", "revoke-certificate", cert["cert_id"], "--reason", "firmware recalled", "--data-dir", data
    )
    assert code == 0 and json.loads(out)["terminals"] == [tid], out
    assert _wait_for(terminal, "NODE_TERMINAL_NOT_CERTIFIED") == "NODE_TERMINAL_NOT_CERTIFIED"
    rows = jining.node.db.query(
        "SELECT action, detail FROM audit WHERE action LIKE 'certificate_%' ORDER BY id"
    )
    assert [r[0] for r in rows] == ["certificate_registered", "certificate_revoked"]
    assert "firmware recalled" in rows[1][1]
    code, out = _cli("registry", "certificates", "--terminal", tid, "--data-dir", data)
    listed = json.loads(out)
    assert len(listed) == 1 and listed[0]["revoked_at"] and listed[0]["revoke_reason"] == "firmware recalled"


def test_only_a_valid_certificate_for_this_profile_counts(jining, tmp_path):
    terminal = jining.client()
    tid, data = jining.credentials.terminal_id, str(jining.data_dir)
    key, pem = _lab(tmp_path)

    def add(report: Path, lab: Path = pem) -> tuple[int, str]:
        return _cli(
            "registry",
            "add-certificate",
            str(report),
            "--terminal",
            tid,
            "--lab-key",
            str(lab),
            "--data-dir",
            data,
        )

    # another profile's report: registered without --profile, but it does not count here
    code, out = add(_report(tmp_path, key, profile="national"))
    assert code == 0, out
    # refused with their own codes: not a pass, not a terminal's, another profile's (--profile)
    for kwargs, expected in (({"verdict": "fail"}, "NODE_CERTIFICATE_NOT_PASS"),
                             ({"role": "his"}, "NODE_CERTIFICATE_WRONG_ROLE")):  # fmt: skip
        code, out = add(_report(tmp_path, key, **kwargs))
        assert code != 0 and expected in out, out
    code, out = _cli("registry", "add-certificate", str(_report(tmp_path, key, profile="national")), "--terminal",
                     tid, "--lab-key", str(pem), "--profile", "shandong-jining", "--data-dir", data)  # fmt: skip
    assert code != 0 and "NODE_CERTIFICATE_WRONG_PROFILE" in out, out
    time.sleep(0.2)
    assert _calls(terminal) == "NODE_TERMINAL_NOT_CERTIFIED"
    # refused outright: another lab's signature, an altered or an added file, no signature
    other, _ = _lab(tmp_path)
    code, out = add(_report(tmp_path, other))
    assert code != 0 and "NODE_CERTIFICATE_UNTRUSTED" in out and "not a trusted lab key" in out
    altered = _report(tmp_path, key)
    (altered / "report.json").write_text(
        (altered / "report.json").read_text().replace('"fail"', '"pass"') + " "
    )
    code, out = add(altered)
    assert code != 0 and "altered" in out
    added = _report(tmp_path, key)
    (added / "extra.txt").write_text("x")
    code, out = add(added)
    assert code != 0 and "added" in out
    unsigned = _report(tmp_path, key)
    (unsigned / "manifest.sig").unlink()
    code, out = add(unsigned)
    assert code != 0 and "NODE_CERTIFICATE_INVALID" in out
    # a report for an unknown terminal is not recorded
    code, out = _cli("registry", "add-certificate", str(_report(tmp_path, key)), "--terminal", "NOPE", "--lab-key",
                     str(pem), "--data-dir", data)  # fmt: skip
    assert code != 0 and "NODE_TERMINAL_UNKNOWN" in out
    assert _calls(terminal) == "NODE_TERMINAL_NOT_CERTIFIED"
    # a trusted key placed in DATA_DIR/trusted-labs works without --lab-key
    (jining.data_dir / "trusted-labs").mkdir()
    (jining.data_dir / "trusted-labs" / "lab.pem").write_bytes(key.public_key.to_pem())
    code, out = _cli(
        "registry", "add-certificate", str(_report(tmp_path, key)), "--terminal", tid, "--data-dir", data
    )
    assert code == 0, out
    assert _wait_for(terminal, "") == ""


def test_without_the_rule_certificates_are_not_required(tmp_path):
    node = start_node(tmp_path, config=NodeConfig(profile="national"))
    try:
        assert _calls(node.client()) == ""
    finally:
        node.stop()


def test_end_to_end_with_the_kits_own_terminal_certification(tmp_path):
    """The done-when of issue #15: `ehc certify terminal` (reference terminal, Jining profile,
    certification run, lab key) → `ehc node registry add-certificate` → the Jining node that
    refused the terminal now serves it; `ehc node serve --profile shandong-jining` turns the rule on."""
    import subprocess
    import sys

    from reference_node.profiles import apply_profile

    def ehc(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "ehc.cli", *args],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
        )

    lab = tmp_path / "lab.pem"
    assert ehc("certify", "lab-key", str(lab)).returncode == 0
    report = tmp_path / "t-report"
    run = ehc("certify", "terminal", "--profile", "shandong-jining", "--certification", "--lab-key", str(lab),
              "--out", str(report), "--quiet")  # fmt: skip
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    node = start_node(
        tmp_path / "node", config=apply_profile(NodeConfig(change_poll_ms=50), "shandong-jining")
    )
    try:
        terminal = node.client()
        assert _calls(terminal) == "NODE_TERMINAL_NOT_CERTIFIED"
        added = ehc("node", "registry", "add-certificate", str(report), "--terminal", node.credentials.terminal_id,
                    "--lab-key", f"{lab}.pub.pem", "--data-dir", str(node.data_dir))  # fmt: skip
        assert added.returncode == 0, added.stderr
        cert = json.loads(added.stdout)
        assert (cert["role"], cert["profile"], cert["verdict"]) == ("terminal", "shandong-jining", "pass")
        assert _wait_for(terminal, "") == ""
    finally:
        node.stop()


def test_the_operator_registers_and_revokes_certificates_over_grpc(jining, tmp_path):
    """RegistryService.TrustLabKey / AddCertificate / RevokeCertificate / ListCertificates: the
    CLI's core on the running node, admin only, each refusal its own code, revocation at once."""
    from reference_node.certificates import read_report
    from reference_node.proto.ehc.node.v1 import registry_pb2 as rp

    admin, terminal = jining.client("admin"), jining.client()
    tid = jining.credentials.terminal_id
    key, _ = _lab(tmp_path)

    def add(report: Path, client=admin) -> str:
        try:
            client.registry.AddCertificate(
                rp.AddCertificateRequest(files=read_report(report), terminal_ids=[tid])
            )
            return ""
        except grpc.RpcError as exc:
            return error_of(exc).code.name

    pem = key.public_key.to_pem().decode()
    assert add(_report(tmp_path, key)) == "NODE_CERTIFICATE_UNTRUSTED"  # nothing trusted yet
    assert admin.registry.TrustLabKey(rp.TrustLabKeyRequest(public_key_pem=pem, label="lab")).key_sm3
    assert add(_report(tmp_path, SM2PrivateKey.generate())) == "NODE_CERTIFICATE_UNTRUSTED"
    assert add(_report(tmp_path, key, verdict="fail")) == "NODE_CERTIFICATE_NOT_PASS"
    assert add(_report(tmp_path, key, role="his")) == "NODE_CERTIFICATE_WRONG_ROLE"
    assert add(_report(tmp_path, key, profile="national")) == "NODE_CERTIFICATE_WRONG_PROFILE"
    altered = _report(tmp_path, key)
    (altered / "junit.xml").write_text("<testsuite tests='0'/>")
    assert add(altered) == "NODE_CERTIFICATE_INVALID"
    assert _calls(terminal) == "NODE_TERMINAL_NOT_CERTIFIED"
    good = _report(tmp_path, key)
    assert add(good) == ""
    assert _calls(terminal) == ""  # at once: the node's own cache is dropped in the transaction
    # a (certified) terminal may not trust keys or register certificates: operator only
    with pytest.raises(grpc.RpcError) as refused:
        terminal.registry.TrustLabKey(rp.TrustLabKeyRequest(public_key_pem=pem, label="lab"))
    assert error_of(refused.value).code.name == "NODE_FORBIDDEN_ADMIN_ONLY"
    assert add(_report(tmp_path, key), terminal) == "NODE_FORBIDDEN_ADMIN_ONLY"
    listed = admin.registry.ListCertificates(rp.ListCertificatesRequest(terminal_id=tid)).certificates
    assert [(c.verdict, c.profile, c.revoked_at) for c in listed] == [("pass", "shandong-jining", "")]
    revoked = admin.registry.RevokeCertificate(
        rp.RevokeCertificateRequest(cert_id=listed[0].cert_id, reason="recall")
    )
    assert [c.terminal_id for c in revoked.certificates] == [tid] and revoked.certificates[0].revoked_at
    assert _calls(terminal) == "NODE_TERMINAL_NOT_CERTIFIED"
    assert add(good) == "NODE_CERTIFICATE_REVOKED"  # re-registering the same report does not undo it
    actions = [r[0] for r in jining.node.db.query("SELECT action FROM audit WHERE action LIKE '%_trusted' "
                                                  "OR action LIKE 'certificate_%' ORDER BY id")]  # fmt: skip
    assert actions == ["lab_key_trusted", "certificate_registered", "certificate_revoked"]
