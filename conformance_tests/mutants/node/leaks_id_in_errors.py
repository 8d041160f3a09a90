"""A vendor whose error messages echo the input "for support": the submitted ID number and the QR
text appear in refusals (and so in every terminal's logs)."""

from __future__ import annotations

from typing import Any

from ._proxy import Call, Refusal, VendorNode


class LeaksIdInErrors(VendorNode):
    mutant_name = "leaks-id-in-errors"
    description = "echoes the submitted document number or QR text in error messages"
    defect_class = "personal data in error messages"
    catches = ("SEC-002", "QR-TEXT-013")

    def on_refusal(self, call: Call, refusal: Refusal) -> Any:
        echoed = getattr(call.request, "document_number", "") or getattr(call.request, "qr_text", "")
        if echoed:
            info = refusal.error_info()
            raise refusal.with_message(f"{info.message if info else refusal.details} (input: {echoed})")
        raise refusal


MUTANT = LeaksIdInErrors
