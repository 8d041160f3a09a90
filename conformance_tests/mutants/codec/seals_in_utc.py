import datetime as dt

from ._base import CodecMutant


class SealsInUtc(CodecMutant):
    mutant_name = "seals-in-utc"
    description = "writes the validity time as a UTC wall clock (timestamp habit) instead of Beijing time"
    defect_class = "validity seal"
    catches = ("QR-DYN-001",)

    def seal_validity(self, protect_key: bytes, when: dt.datetime) -> str:
        return super().seal_validity(protect_key, when.astimezone(dt.UTC).replace(tzinfo=None))


MUTANT = SealsInUtc
