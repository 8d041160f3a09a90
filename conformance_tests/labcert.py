"""What a test lab does before certifying a node under a profile that admits certified terminals
only (检测备案, e.g. shandong-jining; docs/certification.md): the node's operator trusts the lab's
key and registers a PASS terminal report for the suite's own terminals. Here the lab key and the
report are throwaway and TEST-ONLY: the certification of the node, not of these terminals, is the
point (NODE-CERT-001..003 then test how the node checks real reports)."""

from __future__ import annotations

import json
import secrets
import tempfile
from collections.abc import Iterable
from pathlib import Path

from conformance_tests.reportsign import TEST_ONLY_LABEL, sign_directory
from ehc.gm import SM2PrivateKey
from reference_node.client import Credentials, TlsConfig, signed_channel
from reference_node.proto.ehc.node.v1 import registry_pb2 as R
from reference_node.proto.ehc.node.v1 import registry_pb2_grpc


def terminal_report_files(
    key: SM2PrivateKey,
    profile: str,
    name: str = "TEST-ONLY suite terminals",
    *,
    verdict: str = "pass",
    role: str = "terminal",
) -> dict[str, bytes]:
    """The files of a signed terminal report for ``profile`` (PASS unless told otherwise), as
    ``ehc certify terminal`` writes them: report.json, junit.xml, manifest.json, manifest.sig."""
    with tempfile.TemporaryDirectory(prefix="ehc-lab-") as tmp:
        out = Path(tmp)
        report = {
            "report_id": f"lab-{secrets.token_hex(8)}", "verdict": verdict, "role": role,
            "mode": "certification", "dut": {"adapter": "terminal:driver", "name": name, "version": "1.0.0"},
            "profile": {"name": profile, "title": profile, "chain": [profile], "parameters": {}, "requirements": 1},
        }  # fmt: skip
        (out / "report.json").write_text(json.dumps(report), encoding="utf-8")
        (out / "junit.xml").write_text("<testsuite/>", encoding="utf-8")
        sign_directory(out, key, TEST_ONLY_LABEL, True)
        return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def certify_terminals(
    target: str, admin: Credentials, terminal_ids: Iterable[str], profile: str, tls_ca: bytes | None = None
) -> str:
    """Trust a throwaway TEST-ONLY lab key at the node and register one PASS report for
    ``terminal_ids`` (the operator's calls TrustLabKey and AddCertificate); returns the report id."""
    key = SM2PrivateKey.generate()
    files = terminal_report_files(key, profile)
    channel = signed_channel(target, admin, tls=TlsConfig(ca=tls_ca) if tls_ca else None)
    try:
        stub = registry_pb2_grpc.RegistryServiceStub(channel)
        pem = key.public_key.to_pem().decode("ascii")
        stub.TrustLabKey(R.TrustLabKeyRequest(public_key_pem=pem, label=TEST_ONLY_LABEL))
        stub.AddCertificate(R.AddCertificateRequest(files=files, terminal_ids=list(terminal_ids)))
    finally:
        channel.close()
    return str(json.loads(files["report.json"])["report_id"])
