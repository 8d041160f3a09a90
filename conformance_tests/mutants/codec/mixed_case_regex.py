import re

from ._base import CodecMutant, Outcome

# "EHCID: 64 hex digits" read from the docs, hex written the usual programmer's way.
PATTERN = re.compile(r"([0-9A-Fa-f]{64}):([01])(?::([0-9A-Fa-f]{32}))?")


class MixedCaseRegex(CodecMutant):
    mutant_name = "mixed-case-regex"
    description = "parses with a regex of [0-9A-Fa-f]: lower-case EHCIDs and validity fields pass as carried"
    defect_class = "alphabet"
    catches = ("QR-TEXT-004", "QR-TEXT-006")

    def parse(self, text: str) -> Outcome:
        return self._vendor_parse("parse", text, PATTERN)


MUTANT = MixedCaseRegex
