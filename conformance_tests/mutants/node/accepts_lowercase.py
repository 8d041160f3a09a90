"""A vendor that "helps" scanners with bad cameras: it upper-cases the QR text before verifying."""

from __future__ import annotations

from ._proxy import Call, VendorNode


class AcceptsLowercase(VendorNode):
    mutant_name = "accepts-lowercase"
    description = "upper-cases QR text before verifying it (a lower-case, non-conforming code verifies)"
    defect_class = "lenient QR text parsing"
    catches = ("QR-TEXT-010", "NODE-VERIFY-005")

    def on_request(self, call: Call) -> None:
        if call.name == "VerifyQr":
            call.request.qr_text = call.request.qr_text.upper()


MUTANT = AcceptsLowercase
