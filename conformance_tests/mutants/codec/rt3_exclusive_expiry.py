"""A vendor that writes the expiry test as `now < valid_until + tolerance`: the last second of the
tolerance — which the kit's rule (valid while now <= V + skew) still accepts — is refused. One
second early, and only at the boundary, where a generator of random lateness rarely lands."""

import datetime as dt

from . import _rt3
from ._base import CodecMutant, Outcome


class ExclusiveExpiry(CodecMutant):
    mutant_name = "rt3-exclusive-expiry"
    description = "expiry boundary exclusive (now < V + tolerance): the last second of the tolerance refused"
    defect_class = "expiry"
    catches = ("QR-DYN-002",)

    def open(self, text: str, protect_key: bytes, now: dt.datetime) -> Outcome:
        out = super().open(text, protect_key, now)
        if out.accepted and out.valid_until and isinstance(now, dt.datetime):
            local = now.replace(tzinfo=_rt3.CST) if now.tzinfo is None else now.astimezone(_rt3.CST)
            until = dt.datetime.strptime(out.valid_until, "%Y%m%d%H%M%S").replace(tzinfo=_rt3.CST)
            if local >= until + self.policy.clock_skew:
                from ehc.errors import EhcError
                from qr_codec.errors import QR_EXPIRED

                def expired() -> None:
                    raise EhcError(QR_EXPIRED, valid_until=out.valid_until)

                return self._outcome("open", {"text": text}, expired)
        return out


MUTANT = ExclusiveExpiry
