"""Transport protection (SEC-009): the node serves TLS, refuses plaintext on the same address, and
its certificate chain verifies against the CA the lab was given (``;ca=FILE``), for the name it is
reached by. A node reached in plaintext fails: certify it over TLS or through the security gateway
that protects it in deployment (docs/certification.md §8)."""

from __future__ import annotations

import pytest


@pytest.mark.requirement("SEC-009")
def test_node_traffic_is_protected_by_tls(dut):
    assert getattr(dut, "tls", None) is not None, (
        "node reached in plaintext: its traffic is not protected in transit; certify it over TLS "
        '(--target "HOST:PORT;client=FILE;ca=CA.pem") or through its security gateway'
    )
    answered = dut.plaintext_probe()
    assert answered is None, f"the node also answers plaintext gRPC on {dut.target} ({answered})"
    handshake = dut.tls_probe()
    assert handshake["verified"], f"the node's certificate does not verify: {handshake.get('error')}"
    assert handshake["version"] in ("TLSv1.2", "TLSv1.3"), f"negotiated {handshake['version']}"
    assert dut.health() == "SERVING", "signed calls over the verified TLS channel do not work"
