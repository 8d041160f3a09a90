from ._base import CodecMutant, Outcome


class TruncatesOpaque(CodecMutant):
    mutant_name = "truncates-opaque"
    description = "cuts long opaque tokens to the limit instead of rejecting them"
    defect_class = "opaque tokens"
    catches = ("QR-TEXT-012",)

    def classify(self, text: str) -> Outcome:
        return super().classify(text[: self.opaque_max] if isinstance(text, str) else text)


MUTANT = TruncatesOpaque
