from ._base import CodecMutant, Outcome


class AcceptsAnyTypeDigit(CodecMutant):
    mutant_name = "any-type-digit"
    description = "treats any type digit other than 0 as static"
    defect_class = "type field"
    catches = ("QR-TEXT-003",)

    def parse(self, text: str) -> Outcome:
        if isinstance(text, str) and len(text) == 66 and text[64] == ":" and text[65] not in "01:":
            text = text[:65] + "1"
        return super().parse(text)


MUTANT = AcceptsAnyTypeDigit
