import datetime as dt
from typing import Any

from ._base import CodecMutant, Outcome


class RemembersOldKeys(CodecMutant):
    mutant_name = "remembers-old-keys"
    description = (
        "keeps every protect key it was ever given ('rotation support') and accepts a code sealed "
        "under any of them"
    )
    defect_class = "seal key"
    catches = ("QR-DYN-008",)

    def __init__(self, run: Any) -> None:
        super().__init__(run)
        self.keyring: list[bytes] = []

    def open(self, text: str, protect_key: bytes, now: dt.datetime) -> Outcome:
        if protect_key not in self.keyring:
            self.keyring.append(protect_key)
        out = super().open(text, protect_key, now)
        if out.accepted or out.error not in ("QR_VALIDITY_BAD_PADDING", "QR_VALIDITY_NOT_BCD"):
            return out
        for old in self.keyring:
            if old != protect_key:
                retry = super().open(text, old, now)
                if retry.accepted:
                    return retry
        return out


MUTANT = RemembersOldKeys
