"""检测备案 through the node's own API (issue #15): the operator trusts a lab key
(``RegistryService.TrustLabKey``), registers signed terminal certification reports
(``AddCertificate``: the files of the report directory) and revokes them (``RevokeCertificate``).

The kit makes its own reports, signed with a throwaway lab key the run trusts (TEST-ONLY), and
judges every report by the node's behaviour: the certified terminal's next VerifyQr is served or
refused. A vendor passes the obvious check (an uncertified terminal is refused, NODE-CERT-001)
while taking the key embedded in the manifest as trusted, checking the signature but not the
verdict or the profile, or caching "certified" past a revocation; each is a report here that must
let no terminal in.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from conformance_tests.labcert import terminal_report_files
from conformance_tests.reportsign import TEST_ONLY_LABEL
from ehc.gm import SM2PrivateKey
from reference_node.proto.ehc.node.v1 import registry_pb2 as R
from reference_node.proto.ehc.node.v1 import verification_pb2 as V

from .helpers import assert_client_error, new_digits, operator_terminal, register
from .test_profile_rules import _certificate_rule

REFUSED_AS = ("UNAUTHENTICATED", "PERMISSION_DENIED")
REVOCATION_GRACE_S = 1.0  # a node of several processes: one change-feed poll (docs/node.md)


def _terminal(dut: Any, role: str) -> str:
    """A fresh terminal of the suite's organisation with a credential and no certificate (the
    operator's registry even calls it CERTIFIED: only a report counts); its id."""
    org = dut.context().org_code
    terminal_id = f"{org}9901{new_digits(4)}"
    operator_terminal(dut, terminal_id, org, "99", "TEST-ONLY conformance: certificate checks", role)
    return terminal_id


def _trusted_lab(dut: Any) -> SM2PrivateKey:
    """A throwaway lab key the node is told to trust for this run."""
    key = SM2PrivateKey.generate()
    request = R.TrustLabKeyRequest(
        public_key_pem=key.public_key.to_pem().decode("ascii"), label=TEST_ONLY_LABEL
    )
    _, error = dut.call("registry", "TrustLabKey", request, "admin")
    assert error is None, f"the operator cannot trust a lab key (TrustLabKey): {error}"
    return key


def _report(key: SM2PrivateKey, profile: str, **over: str) -> dict[str, bytes]:
    """The files of a terminal certification report as `ehc certify terminal` writes them, signed."""
    return terminal_report_files(key, profile, "TEST-ONLY Conformance Reader", **over)


def _add(dut: Any, files: dict[str, bytes], *terminals: str) -> tuple[Any, dict | None]:
    request = R.AddCertificateRequest(files=files, terminal_ids=list(terminals))
    return dut.call("registry", "AddCertificate", request, "admin")


def _verify_error(dut: Any, role: str, qr_text: str) -> dict | None:
    request = V.VerifyQrRequest(qr_text=qr_text, context=dut.context(role))
    return dut.call("verification", "VerifyQr", request, role)[1]


def _assert_refused(dut: Any, role: str, qr_text: str, what: str) -> None:
    error = _verify_error(dut, role, qr_text)
    assert error is not None, f"{what}: the terminal's VerifyQr is served"
    assert error.get("grpc") in REFUSED_AS, (
        f"{what}: VerifyQr refused as {error.get('grpc')} ({error.get('code')})"
    )


@pytest.mark.requirement("NODE-CERT-002")
def test_only_a_trusted_unaltered_pass_report_for_this_profile_certifies_its_own_terminal(dut, profile):
    holder = register(dut)
    key = _trusted_lab(dut)
    with _certificate_rule(dut):
        altered = _report(key, profile.name)
        altered["junit.xml"] = b"<testsuite tests='0'/>"
        forged = _report(key, profile.name, verdict="fail")  # made a PASS after signing
        forged["report.json"] = forged["report.json"].replace(b'"verdict": "fail"', b'"verdict": "pass"')
        bad = {
            "a report signed by a lab key the node does not trust": _report(
                SM2PrivateKey.generate(), profile.name
            ),
            "a report whose file was altered after signing": altered,
            "a report whose report.json was altered after signing": forged,
            "a FAIL report": _report(key, profile.name, verdict="fail"),
            "a report for another profile": _report(
                key, "national" if profile.name != "national" else "zibo"
            ),
            "a report of another role (a HIS's)": _report(key, profile.name, role="his"),
        }
        for i, (what, files) in enumerate(bad.items()):
            role = f"cert-bad-{i}"
            terminal_id = _terminal(dut, role)
            _, error = _add(dut, files, terminal_id)
            assert_client_error(error, f"AddCertificate of {what}")
            _assert_refused(dut, role, holder.qr_text, f"a terminal with {what}")
        # a good report lets its terminal in, and only that terminal
        mine = _terminal(dut, "cert-good")
        _terminal(dut, "cert-other")  # holds no certificate of its own
        records, error = _add(dut, _report(key, profile.name), mine)
        assert error is None, f"AddCertificate of a good report refused: {error}"
        assert [(r.terminal_id, r.verdict, r.profile) for r in records.certificates] == [
            (mine, "pass", profile.name)
        ], "AddCertificate does not answer the record it made"
        error = _verify_error(dut, "cert-good", holder.qr_text)
        assert error is None, f"a terminal with a good certificate is refused: {error}"
        _assert_refused(dut, "cert-other", holder.qr_text, "a terminal another terminal's certificate names")
        # the operator's calls: a (certified) terminal may neither trust a key nor register a report
        for method, request in (
            (
                "TrustLabKey",
                R.TrustLabKeyRequest(public_key_pem=SM2PrivateKey.generate().public_key.to_pem().decode()),
            ),
            (
                "AddCertificate",
                R.AddCertificateRequest(files=_report(key, profile.name), terminal_ids=[mine]),
            ),
            (
                "RevokeCertificate",
                R.RevokeCertificateRequest(cert_id=records.certificates[0].cert_id, reason="x"),
            ),
        ):
            _, error = dut.call("registry", method, request, "cert-good")
            assert error is not None and error.get("code") == "NODE_FORBIDDEN_ADMIN_ONLY", (
                f"{method} by a terminal: {error or 'accepted'} (expected NODE_FORBIDDEN_ADMIN_ONLY)"
            )
        assert _verify_error(dut, "cert-good", holder.qr_text) is None, (
            "the terminal's own revocation attempt took effect"
        )


@pytest.mark.requirement("NODE-CERT-003")
def test_a_revoked_certificate_stops_its_terminal_at_once(dut, profile):
    holder = register(dut)
    key = _trusted_lab(dut)
    with _certificate_rule(dut):
        terminal_id = _terminal(dut, "cert-revoked")
        files = _report(key, profile.name)
        records, error = _add(dut, files, terminal_id)
        assert error is None, f"AddCertificate of a good report refused: {error}"
        error = _verify_error(dut, "cert-revoked", holder.qr_text)
        assert error is None, f"a terminal with a good certificate is refused: {error}"
        cert_id = records.certificates[0].cert_id
        revoked, error = dut.call(
            "registry", "RevokeCertificate", R.RevokeCertificateRequest(cert_id=cert_id, reason="TEST-ONLY recall"),
            "admin",
        )  # fmt: skip
        assert error is None, f"RevokeCertificate refused: {error}"
        assert [r.terminal_id for r in revoked.certificates] == [terminal_id] and revoked.certificates[
            0
        ].revoked_at
        deadline = time.monotonic() + REVOCATION_GRACE_S
        while (
            error := _verify_error(dut, "cert-revoked", holder.qr_text)
        ) is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert error is not None, (
            f"a revoked certificate still lets its terminal in after {REVOCATION_GRACE_S} s"
        )
        assert error.get("grpc") in REFUSED_AS, f"refused as {error.get('grpc')} ({error.get('code')})"
        # registering the same signed report again does not undo the revocation
        _, error = _add(dut, files, terminal_id)
        assert_client_error(error, "AddCertificate of a revoked report")
        _assert_refused(
            dut, "cert-revoked", holder.qr_text, "a terminal whose revoked report was registered again"
        )
        listed, error = dut.call(
            "registry", "ListCertificates", R.ListCertificatesRequest(terminal_id=terminal_id), "admin"
        )
        assert error is None, f"ListCertificates refused: {error}"
        assert [bool(r.revoked_at) for r in listed.certificates] == [True], "the revocation is not listed"
