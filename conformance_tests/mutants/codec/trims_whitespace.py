from ._base import CodecMutant, Outcome


class TrimsWhitespace(CodecMutant):
    mutant_name = "trims-whitespace"
    description = "strips leading/trailing whitespace instead of rejecting it"
    defect_class = "framing"
    catches = ("QR-TEXT-008",)

    def parse(self, text: str) -> Outcome:
        return super().parse(text.strip())


MUTANT = TrimsWhitespace
