import re

from ._base import CodecMutant, Outcome

# "the EHCID is hex": the length is never checked.
PATTERN = re.compile(r"([0-9A-F]+):([01])(?::([0-9A-F]{32}))?")


class HexPlusRegex(CodecMutant):
    mutant_name = "any-length-ehcid"
    description = "parses the EHCID with [0-9A-F]+ : an EHCID of any length is accepted"
    defect_class = "length"
    catches = ("QR-TEXT-005",)

    def parse(self, text: str) -> Outcome:
        return self._vendor_parse("parse", text, PATTERN)


MUTANT = HexPlusRegex
