"""A vendor that refuses a dynamic code the second its validity time has passed: no clock
tolerance at all ("strict is safe"). Codes issued by a node whose clock runs a few seconds ahead
of the verifier's — within the tolerance the profile fixes — are refused at the window."""

import datetime as dt

from . import _rt3
from ._base import CodecMutant, Outcome


class NoClockTolerance(CodecMutant):
    mutant_name = "rt3-no-clock-tolerance"
    description = "dynamic code refused as soon as its validity time passes (the clock tolerance ignored)"
    defect_class = "expiry"
    catches = ("QR-DYN-002",)

    def open(self, text: str, protect_key: bytes, now: dt.datetime) -> Outcome:
        out = super().open(text, protect_key, now)
        if out.accepted and out.valid_until and isinstance(now, dt.datetime):
            local = now.replace(tzinfo=_rt3.CST) if now.tzinfo is None else now.astimezone(_rt3.CST)
            if local.strftime("%Y%m%d%H%M%S") > out.valid_until:
                from ehc.errors import EhcError
                from qr_codec.errors import QR_EXPIRED

                def expired() -> None:
                    raise EhcError(QR_EXPIRED, valid_until=out.valid_until)

                return self._outcome("open", {"text": text}, expired)
        return out


MUTANT = NoClockTolerance
