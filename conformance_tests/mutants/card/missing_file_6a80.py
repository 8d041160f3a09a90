"""SELECT of an unknown FID answers "wrong data" (the FID is the data field, so the vendor chose 6A80)."""

from __future__ import annotations

from ._base import RewritingCard


class MissingFileAs6A80(RewritingCard):
    mutant_name = "missing-file-6a80"
    description = "answers 6A80 (wrong data) instead of 6A82 for a missing file"
    defect_class = "status word family"
    catches = ("CARD-FILE-003",)

    def rewrite(self, apdu: bytes, response: bytes) -> bytes:
        return response[:-2] + b"\x6a\x80" if response[-2:] == b"\x6a\x82" else response


MUTANT = MissingFileAs6A80
