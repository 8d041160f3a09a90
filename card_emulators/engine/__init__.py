"""ISO/IEC 7816-4 card engine: card OS interface, file system, journaled memory, command handlers.

Public interface (stable): :class:`CardOS` (``getATR / powerUp / powerDown / reset / execute`` and
the aliases ``atr`` / ``transmit``), :class:`IsoCard` (the engine a personality builds on), the file
system classes and :class:`Access` conditions, :data:`SW` status words.
"""

from card_emulators.engine.apdu import SW, Command, Reply, StatusError, parse_command, sw_bytes
from card_emulators.engine.card import CardOS, Handler, IsoCard
from card_emulators.engine.filesystem import (
    DF,
    EF,
    FREE,
    NEVER,
    Access,
    KeyObject,
    PinObject,
    RecordEF,
    TransparentEF,
)
from card_emulators.engine.nvm import NonVolatileMemory

__all__ = [
    "SW",
    "Command",
    "Reply",
    "StatusError",
    "parse_command",
    "sw_bytes",
    "CardOS",
    "Handler",
    "IsoCard",
    "DF",
    "EF",
    "FREE",
    "NEVER",
    "Access",
    "KeyObject",
    "PinObject",
    "RecordEF",
    "TransparentEF",
    "NonVolatileMemory",
]
