import datetime as dt

from ._base import CodecMutant, Outcome


class FailsOpenOnBadSeal(CodecMutant):
    mutant_name = "fails-open-on-bad-seal"
    description = (
        "when the validity field does not decrypt to a time (bad padding, not BCD, no such date) "
        "it logs a warning and lets the code through"
    )
    defect_class = "validity seal"
    catches = ("QR-DYN-003",)

    def open(self, text: str, protect_key: bytes, now: dt.datetime) -> Outcome:
        out = super().open(text, protect_key, now)
        if (out.error or "").startswith("QR_VALIDITY_") and out.error != "QR_VALIDITY_MALFORMED":
            form = super().parse(text)
            return Outcome(True, "dynamic", form.ehcid, form.validity_field, None, text)
        return out


MUTANT = FailsOpenOnBadSeal
