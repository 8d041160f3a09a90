import datetime as dt

from ._base import CodecMutant, Outcome


class ExpiryByMinute(CodecMutant):
    mutant_name = "expiry-by-minute"
    description = (
        "compares the expiry to the minute (seconds of the clock dropped): codes live up to 59 s longer"
    )
    defect_class = "expiry"
    catches = ("QR-DYN-002",)

    def open(self, text: str, protect_key: bytes, now: dt.datetime) -> Outcome:
        return super().open(text, protect_key, now.replace(second=0))


MUTANT = ExpiryByMinute
