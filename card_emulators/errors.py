"""Error codes of the card engine, personalities, personaliser and flows (3000-3499).

The PC/SC transport and reader simulators own 3500-3599 (``card_emulators.readers.errors``).
Numbers never change once released.
"""

from __future__ import annotations

from ehc.errors import EhcError, define

CARD_BAD_ENCODING = define(
    "CARD_BAD_ENCODING", 3001, "card", "data item does not fit its AN / CN / B encoding or length"
)
CARD_BAD_IMAGE = define("CARD_BAD_IMAGE", 3002, "card", "card image file is malformed or of another format")
CARD_POWER_LOST = define("CARD_POWER_LOST", 3003, "card", "card lost power (injected fault)")
CARD_REMOVED = define("CARD_REMOVED", 3004, "card", "card was removed from the reader (injected fault)")
CARD_NOT_POWERED = define("CARD_NOT_POWERED", 3005, "card", "command sent to a card that is not powered")
CARD_BAD_PERSON = define(
    "CARD_BAD_PERSON", 3006, "card", "person record cannot be written to a card (missing or oversized field)"
)
CARD_BAD_CONFIG = define("CARD_BAD_CONFIG", 3007, "card", "card or fault configuration is invalid")
CARD_BAD_APDU = define("CARD_BAD_APDU", 3008, "card", "command APDU text is malformed")
CARD_FLOW_FAILED = define(
    "CARD_FLOW_FAILED",
    3010,
    "card",
    "terminal-side card flow failed: a card or PSAM answered an error status",
)
CARD_BAD_SIGNATURE = define(
    "CARD_BAD_SIGNATURE", 3011, "card", "issuer certificate or record signature on the card does not verify"
)


class CardPowerLost(EhcError):
    """The emulated card lost power mid-command (fault injection): no response, card is off."""

    def __init__(self, message: str | None = None, **detail: object) -> None:
        super().__init__(CARD_POWER_LOST, message, **detail)


class CardRemoved(EhcError):
    """The emulated card left the reader (fault injection): no response, card is off."""

    def __init__(self, message: str | None = None, **detail: object) -> None:
        super().__init__(CARD_REMOVED, message, **detail)


class CardNotPowered(EhcError):
    """A command reached a card that is powered down (call ``powerUp`` first)."""

    def __init__(self, message: str | None = None, **detail: object) -> None:
        super().__init__(CARD_NOT_POWERED, message, **detail)


class CardFlowError(EhcError):
    """A terminal-side flow step got a status word other than the expected one."""

    def __init__(self, step: str, sw: int, message: str | None = None) -> None:
        super().__init__(
            CARD_FLOW_FAILED, message or f"{step} answered SW {sw:04X}", step=step, sw=f"{sw:04X}"
        )
        self.step = step
        self.sw = sw
