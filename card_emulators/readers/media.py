"""The medium codes the reader simulators put in ``MediumRead.medium`` (ehc.spec.codes.CARD_MEDIA)."""

from __future__ import annotations

from ehc.spec.codes import CARD_MEDIA

__all__ = ["MEDIUM_E_CARD_QR", "MEDIUM_RESIDENT_HEALTH_CARD", "MEDIUM_ID_CARD", "MEDIUM_SOCIAL_SECURITY_CARD"]

# One place binds each simulator to its table entry; .require fails at import if the table changes.
MEDIUM_E_CARD_QR = CARD_MEDIA.require("11").code  # 电子健康卡二维码
MEDIUM_RESIDENT_HEALTH_CARD = CARD_MEDIA.require("10").code  # 居民健康卡 (CPU card)
MEDIUM_ID_CARD = CARD_MEDIA.require("20").code  # 居民身份证, chip read
MEDIUM_SOCIAL_SECURITY_CARD = CARD_MEDIA.require("30").code  # 社会保障卡
