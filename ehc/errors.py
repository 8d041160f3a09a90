"""One error hierarchy with stable, documented error codes for the whole kit.

Every package defines its codes with :func:`define` at import time, in its own number range, so
the codes live beside the code that raises them while one registry can list them all
(``ehc errors``, ``docs/errors.md``). A code's ``name`` and ``number`` never change once released.

Number ranges (one per package):

====  ===================
1xxx  ehc (vocabulary, identifiers, crypto)
2xxx  qr_codec
3xxx  card_emulators
4xxx  reference_node
5xxx  conformance_tests
6xxx  load_tests
7xxx  fixtures
====  ===================
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ErrorCode",
    "EhcError",
    "define",
    "all_codes",
    "lookup",
]


@dataclass(frozen=True, slots=True)
class ErrorCode:
    """A stable error code: symbolic name, number, layer and a one-line meaning."""

    name: str
    number: int
    layer: str
    meaning: str

    def __str__(self) -> str:
        return self.name


_REGISTRY: dict[str, ErrorCode] = {}
_BY_NUMBER: dict[int, ErrorCode] = {}


def define(name: str, number: int, layer: str, meaning: str) -> ErrorCode:
    """Register a new code. Redefining a name or number with other values is a programming error."""
    code = ErrorCode(name, number, layer, meaning)
    old = _REGISTRY.get(name)
    if old is not None and old != code:
        raise RuntimeError(f"error code {name} redefined: {old} vs {code}")
    clash = _BY_NUMBER.get(number)
    if clash is not None and clash.name != name:
        raise RuntimeError(f"error number {number} used by {clash.name} and {name}")
    _REGISTRY[name] = code
    _BY_NUMBER[number] = code
    return code


def all_codes() -> list[ErrorCode]:
    """Every code registered so far (import the packages first to see theirs), by number."""
    return sorted(_REGISTRY.values(), key=lambda c: c.number)


def lookup(name_or_number: str | int) -> ErrorCode:
    """Find a registered code by name or number; KeyError when unknown."""
    if isinstance(name_or_number, int):
        return _BY_NUMBER[name_or_number]
    if name_or_number.isdigit():
        return _BY_NUMBER[int(name_or_number)]
    return _REGISTRY[name_or_number]


class EhcError(Exception):
    """The only exception type the kit's parsers and services raise on bad input.

    ``detail`` carries structured context (never a secret or a full ID number: mask first).
    """

    def __init__(self, code: ErrorCode, message: str | None = None, **detail: object) -> None:
        self.code = code
        self.message = message or code.meaning
        self.detail = detail
        super().__init__(f"{code.name}: {self.message}")

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "code": self.code.name,
            "number": self.code.number,
            "message": self.message,
        }
        if self.detail:
            out["detail"] = {
                k: v if isinstance(v, (int, float, bool)) else str(v) for k, v in self.detail.items()
            }
        return out


# --- codes of the vocabulary layer (1xxx) -------------------------------------------------------
ID_EMPTY = define("ID_EMPTY", 1001, "identifier", "identifier is empty")
ID_BAD_LENGTH = define("ID_BAD_LENGTH", 1002, "identifier", "citizen ID number must have 15 or 18 characters")
ID_BAD_CHARACTER = define(
    "ID_BAD_CHARACTER",
    1003,
    "identifier",
    "citizen ID number has a character other than digits and a final upper-case X",
)
ID_LOWERCASE_X = define("ID_LOWERCASE_X", 1004, "identifier", "check character must be upper-case X")
ID_BAD_AREA = define("ID_BAD_AREA", 1005, "identifier", "area code is not a valid GB/T 2260 code")
ID_BAD_BIRTH_DATE = define(
    "ID_BAD_BIRTH_DATE", 1006, "identifier", "birth date is not a real date in the accepted range"
)
ID_BAD_CHECKSUM = define(
    "ID_BAD_CHECKSUM", 1007, "identifier", "check character does not match (GB 11643 mod 11-2)"
)
BIRTH_CERT_BAD_FORMAT = define(
    "BIRTH_CERT_BAD_FORMAT",
    1010,
    "identifier",
    "birth certificate number must be one upper-case letter followed by 9 digits",
)
CODE_UNKNOWN = define("CODE_UNKNOWN", 1020, "vocabulary", "code is not in the code table")
GM_BAD_KEY = define("GM_BAD_KEY", 1030, "crypto", "key has the wrong length or form")
GM_BAD_BLOCK = define("GM_BAD_BLOCK", 1031, "crypto", "data length is not a multiple of the block size")
GM_BAD_SIGNATURE = define("GM_BAD_SIGNATURE", 1032, "crypto", "signature is malformed or does not verify")
GM_BAD_PADDING = define("GM_BAD_PADDING", 1033, "crypto", "padding is malformed")
PROFILE_FILE_UNKNOWN = define("PROFILE_FILE_UNKNOWN", 1040, "profiles", "no profile file of this name")
PROFILE_FILE_INVALID = define(
    "PROFILE_FILE_INVALID", 1041, "profiles", "profile file is malformed, misnamed or its inheritance cycles"
)
