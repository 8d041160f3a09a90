"""A vendor that "refreshes" an expired dynamic code itself: on a refusal it asks the node for a
new code for the same EHCID and verifies that one instead."""

from __future__ import annotations

from typing import Any

from conformance_tests.drivers.reference_terminal import Refused, Terminal, serve

from ._base import TerminalMutant


class Driver(Terminal):
    def verify_qr(self, text: str, scene: str | None) -> Any:
        from qr_codec.text import DYNAMIC, parse
        from reference_node.proto.ehc.node.v1 import common_pb2, issuance_pb2

        try:
            return super().verify_qr(text, scene)
        except Refused:
            try:
                code = parse(text)
            except Exception:  # noqa: BLE001 - not a national code: nothing to refresh
                raise
            if code.kind != DYNAMIC:
                raise
            fresh = self.call(
                self.client.issuance,
                "GetQrCode",
                issuance_pb2.GetQrCodeRequest(
                    ehcid=code.ehcid, code_type=common_pb2.CODE_TYPE_DYNAMIC, context=self.ctx(scene)
                ),
            )
            return super().verify_qr(fresh.qr_text, scene)


MUTANT = TerminalMutant(
    "asks-new-code",
    "asks the node for a new dynamic code when a scanned one is refused",
    "refused dynamic code rescued",
    ("TERM-016",),
    __name__,
)

if __name__ == "__main__":
    serve(Driver())
