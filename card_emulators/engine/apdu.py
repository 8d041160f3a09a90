"""Command APDU parsing (ISO/IEC 7816-3/-4 short and extended cases) and status words.

Parsing never raises on any byte string: a malformed APDU comes back as ``None`` and the card
answers 6700 (wrong length), exactly what a real COS does with a frame it cannot split.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Command", "parse_command", "SW", "StatusError", "sw_bytes"]


class SW:
    """Status words used by the engine (ISO/IEC 7816-4 §5.1.3)."""

    OK = 0x9000
    WARN_TRIES = 0x63C0  # | remaining tries
    MEMORY_FAILURE = 0x6581
    WRONG_LENGTH = 0x6700
    FUNCTION_IN_CLA = 0x6881
    SM_NOT_SUPPORTED = 0x6882
    FILE_INCOMPATIBLE = 0x6981
    SECURITY_STATUS = 0x6982
    AUTH_BLOCKED = 0x6983
    REFERENCE_DATA_UNUSABLE = 0x6984
    CONDITIONS = 0x6985
    NO_CURRENT_EF = 0x6986
    SM_MISSING = 0x6987
    SM_BAD = 0x6988
    WRONG_DATA = 0x6A80
    FUNC_NOT_SUPPORTED = 0x6A81
    FILE_NOT_FOUND = 0x6A82
    RECORD_NOT_FOUND = 0x6A83
    NOT_ENOUGH_MEMORY = 0x6A84
    WRONG_P1P2 = 0x6A86
    REF_DATA_NOT_FOUND = 0x6A88
    WRONG_P1P2_OFFSET = 0x6B00
    WRONG_LE = 0x6C00  # | exact length
    INS_NOT_SUPPORTED = 0x6D00
    CLA_NOT_SUPPORTED = 0x6E00
    NO_DIAGNOSIS = 0x6F00
    MORE_DATA = 0x6100  # | bytes available


def sw_bytes(sw: int) -> bytes:
    return (sw & 0xFFFF).to_bytes(2, "big")


class StatusError(Exception):
    """Raised inside a command handler to end the command with a status word (never leaves the engine)."""

    def __init__(self, sw: int) -> None:
        super().__init__(f"{sw:04X}")
        self.sw = sw


class Command:
    """A parsed command APDU. ``le`` is None when absent; Le=00 (short) is reported as 256.

    A plain slotted class rather than a frozen dataclass: it is built for every APDU, and a frozen
    dataclass's ``object.__setattr__`` per field made construction the costliest step of parsing.
    Handlers treat it as read-only; equality and hashing are by value, as before.
    """

    __slots__ = ("cla", "ins", "p1", "p2", "data", "le", "lc_present")

    def __init__(
        self, cla: int, ins: int, p1: int, p2: int, data: bytes, le: int | None, lc_present: bool
    ) -> None:
        self.cla = cla
        self.ins = ins
        self.p1 = p1
        self.p2 = p2
        self.data = data
        self.le = le
        self.lc_present = lc_present

    def _key(self) -> tuple:
        return (self.cla, self.ins, self.p1, self.p2, self.data, self.le, self.lc_present)

    def __eq__(self, other: object) -> bool:
        return self._key() == other._key() if isinstance(other, Command) else NotImplemented

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (
            f"Command(cla={self.cla!r}, ins={self.ins!r}, p1={self.p1!r}, p2={self.p2!r}, "
            f"data={self.data!r}, le={self.le!r}, lc_present={self.lc_present!r})"
        )

    @property
    def p1p2(self) -> int:
        return (self.p1 << 8) | self.p2


def parse_command(apdu: bytes) -> Command | None:
    """Split a command APDU into its parts (cases 1, 2S, 3S, 4S, 2E, 3E, 4E); None when malformed."""
    n = len(apdu)
    if n < 4:
        return None
    cla, ins, p1, p2 = apdu[0], apdu[1], apdu[2], apdu[3]
    if n == 4:
        return Command(cla, ins, p1, p2, b"", None, False)
    b0 = apdu[4]
    if n == 5:
        return Command(cla, ins, p1, p2, b"", b0 or 256, False)
    if b0 != 0:  # short Lc
        lc = b0
        if n == 5 + lc:
            return Command(cla, ins, p1, p2, bytes(apdu[5:]), None, True)
        if n == 6 + lc:
            return Command(cla, ins, p1, p2, bytes(apdu[5 : 5 + lc]), apdu[-1] or 256, True)
        return None
    # extended length: 00 then two bytes
    if n == 7:
        le = (apdu[5] << 8) | apdu[6]
        return Command(cla, ins, p1, p2, b"", le or 65536, False)
    if n < 8:
        return None
    lc = (apdu[5] << 8) | apdu[6]
    if lc == 0:
        return None
    if n == 7 + lc:
        return Command(cla, ins, p1, p2, bytes(apdu[7:]), None, True)
    if n == 9 + lc:
        le = (apdu[-2] << 8) | apdu[-1]
        return Command(cla, ins, p1, p2, bytes(apdu[7 : 7 + lc]), le or 65536, True)
    return None


@dataclass(frozen=True, slots=True)
class Reply:
    """A handler result that sets its own status word (GET RESPONSE, warnings); bypasses the Le rules."""

    data: bytes
    sw: int
