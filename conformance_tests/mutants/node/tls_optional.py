"""A vendor who added TLS but kept plaintext on the same port "for old terminals": the port sniffs
the first byte and speaks TLS to clients that start a handshake, plaintext to everyone else, so the
node's traffic is only protected when the client asks for it."""

from __future__ import annotations

from typing import Any

from ._proxy import VendorNode


class TlsOptional(VendorNode):
    mutant_name = "tls-optional"
    description = "serves TLS, and plaintext on the same port to clients that do not start TLS"
    defect_class = "unprotected transport accepted"
    catches = ("SEC-009",)

    def __init__(self, upstream: str, identities: dict[str, Any], tls: Any = None) -> None:
        super().__init__(upstream, identities)  # plaintext inside: the front below does TLS (its own CA)
        from reference_node.client import TlsConfig

        from ...tlsmaterial import TlsTerminator

        self.front = TlsTerminator(self.target, plaintext_too=True)
        self.tls = TlsConfig(ca=self.front.material.ca)  # the CA the vendor hands the lab
        self.target = self.front.target

    def close(self) -> None:
        self.front.close()
        super().close()


MUTANT = TlsOptional
