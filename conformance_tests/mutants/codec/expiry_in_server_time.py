import datetime as dt

from ._base import CodecMutant, Outcome


class ExpiryInServerTime(CodecMutant):
    mutant_name = "expiry-in-server-time"
    description = (
        "compares the expiry with the server's UTC wall clock as if it were Beijing time (UTC+8): "
        "codes stay valid 8 hours too long"
    )
    defect_class = "expiry"
    catches = ("QR-DYN-002",)

    def open(self, text: str, protect_key: bytes, now: dt.datetime) -> Outcome:
        server_wall = now.astimezone(dt.UTC).replace(tzinfo=None)  # datetime.utcnow() habit
        return super().open(text, protect_key, server_wall)


MUTANT = ExpiryInServerTime
