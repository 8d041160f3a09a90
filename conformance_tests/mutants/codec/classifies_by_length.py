from ._base import CodecMutant, Outcome


class ClassifiesByLength(CodecMutant):
    mutant_name = "classifies-by-length"
    description = (
        "decides 'national code or opaque token' by length only: a 66- or 99-character token is "
        "parsed as an e-card code and refused instead of being forwarded"
    )
    defect_class = "opaque tokens"
    catches = ("QR-TEXT-011",)

    def classify(self, text: str) -> Outcome:
        if isinstance(text, str) and len(text) in (66, 99):
            return super().parse(text)
        return super().classify(text)


MUTANT = ClassifiesByLength
