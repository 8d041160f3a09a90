from ._base import CodecMutant, Outcome


class CrashesOnEmpty(CodecMutant):
    mutant_name = "crashes-on-empty"
    description = "indexes the text before checking its length (IndexError on empty input)"
    defect_class = "robustness"
    catches = ("QR-TEXT-010",)

    def parse(self, text: str) -> Outcome:
        def boom() -> None:
            _ = text[0]

        if not text:
            return self._outcome("parse", {"text": text}, boom)
        return super().parse(text)


MUTANT = CrashesOnEmpty
