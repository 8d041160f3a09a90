from ._base import CodecMutant, Outcome


class AcceptsLowercase(CodecMutant):
    mutant_name = "accepts-lowercase"
    description = "upper-cases the text before parsing, so lower-case hex is accepted"
    defect_class = "alphabet"
    catches = ("QR-TEXT-004",)

    def parse(self, text: str) -> Outcome:
        return super().parse(text.upper() if isinstance(text, str) else text)


MUTANT = AcceptsLowercase
