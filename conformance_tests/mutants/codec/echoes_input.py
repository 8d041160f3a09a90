from ._base import CodecMutant, Outcome


class EchoesInput(CodecMutant):
    mutant_name = "echoes-input"
    description = "puts the whole rejected text into its error message (leaks the EHCID)"
    defect_class = "privacy"
    catches = ("QR-TEXT-013",)

    def parse(self, text: str) -> Outcome:
        out = super().parse(text)
        if out.accepted:
            return out
        return Outcome(False, error=out.error, message=f"bad code: {text}")


MUTANT = EchoesInput
