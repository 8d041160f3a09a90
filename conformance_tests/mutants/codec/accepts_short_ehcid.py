from typing import Any

from ._base import CodecMutant


class AcceptsShortEhcid(CodecMutant):
    mutant_name = "accepts-short-ehcid"
    description = "accepts 32-digit EHCIDs under the national profile (only 64 is confirmed)"
    defect_class = "length"
    catches = ("QR-TEXT-005",)

    def __init__(self, run: Any) -> None:
        super().__init__(run)
        from qr_codec import text as qr_text

        self.policy = qr_text.QrPolicy(ehcid_hex_lengths=(64, 32))


MUTANT = AcceptsShortEhcid
