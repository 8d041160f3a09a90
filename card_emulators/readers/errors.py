"""Error codes of the PC/SC path and the reader simulators (3500-3599).

The card engine owns 3000-3499. Numbers here never change once released:
3500-3519 transports and the pcscd harness, 3520-3539 chip-card reader, 3540-3559 QR scanner and
keyboard wedge, 3560-3579 ID-card reader, 3580-3599 social-security-card reader.
"""

from __future__ import annotations

from ehc.errors import define

# --- transports and pcscd harness (3500-3519) --------------------------------------------------
VPCD_CONNECT_FAILED = define(
    "VPCD_CONNECT_FAILED", 3500, "pcsc", "could not connect to the vpcd driver of pcscd (is pcscd running?)"
)
VPCD_BAD_FRAME = define("VPCD_BAD_FRAME", 3501, "pcsc", "vpcd frame is malformed")
PCSCD_UNAVAILABLE = define(
    "PCSCD_UNAVAILABLE", 3502, "pcsc", "pcscd cannot be started here (not root, or packages missing)"
)
PCSCD_START_FAILED = define("PCSCD_START_FAILED", 3503, "pcsc", "pcscd did not come up with its readers")
PCSC_NO_READER = define("PCSC_NO_READER", 3504, "pcsc", "no PC/SC reader matches the requested name")
PCSC_AMBIGUOUS_READER = define(
    "PCSC_AMBIGUOUS_READER", 3505, "pcsc", "more than one PC/SC reader matches the requested name"
)
PCSC_NO_CARD = define("PCSC_NO_CARD", 3506, "pcsc", "no card in the reader, or the card did not answer")
PCSC_TRANSMIT_FAILED = define("PCSC_TRANSMIT_FAILED", 3507, "pcsc", "PC/SC transmit failed")
PCSC_BAD_APDU = define("PCSC_BAD_APDU", 3508, "pcsc", "command APDU is malformed")
PCSC_LIBRARY_MISSING = define(
    "PCSC_LIBRARY_MISSING", 3509, "pcsc", "pyscard (PC/SC) is not installed: pip install 'ehc-kit[pcsc]'"
)
PCSC_GET_RESPONSE_LOOP = define(
    "PCSC_GET_RESPONSE_LOOP", 3510, "pcsc", "card kept answering 61xx/6Cxx beyond the chaining limit"
)
CARD_SOCKET_CONNECT_FAILED = define(
    "CARD_SOCKET_CONNECT_FAILED", 3511, "pcsc", "could not connect to the kit-hosted card socket"
)
CARD_SOCKET_BAD_FRAME = define("CARD_SOCKET_BAD_FRAME", 3512, "pcsc", "card socket frame is malformed")

# --- chip-card reader (3520-3539) ---------------------------------------------------------------
CARD_SELECT_FAILED = define(
    "CARD_SELECT_FAILED", 3520, "reader", "user card refused SELECT of the health application"
)
CARD_READ_FAILED = define("CARD_READ_FAILED", 3521, "reader", "user card refused a READ RECORD")
CARD_AUTH_FAILED = define("CARD_AUTH_FAILED", 3522, "reader", "read-key authentication with the PSAM failed")
PSAM_FAILED = define("PSAM_FAILED", 3523, "reader", "PSAM refused a command")
CARD_BAD_RECORD = define(
    "CARD_BAD_RECORD", 3524, "reader", "record read from the card is not well-formed TLV"
)
CARD_BAD_ATR = define("CARD_BAD_ATR", 3525, "reader", "ATR too short to carry the card number")
CARD_SIGNATURE_INVALID = define(
    "CARD_SIGNATURE_INVALID", 3526, "reader", "issuer signature on the card data does not verify"
)
CARD_NO_ISSUER_KEY = define(
    "CARD_NO_ISSUER_KEY", 3527, "reader", "no issuer public key configured: signature not checked"
)

# --- QR scanner and keyboard wedge (3540-3559) ---------------------------------------------------
QR_NOT_FOUND = define("QR_NOT_FOUND", 3540, "reader", "no QR code found in the image")
QR_MANY_CODES = define("QR_MANY_CODES", 3541, "reader", "more than one QR code in the image")
QR_BAD_IMAGE = define("QR_BAD_IMAGE", 3542, "reader", "image cannot be loaded")
WEDGE_NO_TERMINATOR = define("WEDGE_NO_TERMINATOR", 3543, "reader", "wedge input has no Enter terminator")
WEDGE_CAPS_INVERTED = define(
    "WEDGE_CAPS_INVERTED", 3544, "reader", "wedge input has its letter case inverted (caps lock on)"
)
WEDGE_DROPPED_CHARS = define(
    "WEDGE_DROPPED_CHARS", 3545, "reader", "wedge input lost characters (shorter than the expected format)"
)
WEDGE_DUPLICATED_CHARS = define(
    "WEDGE_DUPLICATED_CHARS", 3546, "reader", "wedge input repeats characters (key bounce)"
)
WEDGE_BAD_CHARACTER = define(
    "WEDGE_BAD_CHARACTER", 3547, "reader", "wedge input has a character outside the expected alphabet"
)
WEDGE_EMPTY = define("WEDGE_EMPTY", 3548, "reader", "wedge input is empty")
WEDGE_WRONG_TERMINATOR = define(
    "WEDGE_WRONG_TERMINATOR",
    3549,
    "reader",
    "wedge input ends with another Enter than the HIS expects (CR vs CRLF)",
)
WEDGE_TOO_LONG = define(
    "WEDGE_TOO_LONG", 3550, "reader", "wedge input longer than any QR code can hold (not diagnosed)"
)

# --- ID-card reader (3560-3579) -----------------------------------------------------------------
IDCARD_BAD_RECORD = define("IDCARD_BAD_RECORD", 3560, "reader", "ID-card reader output is malformed")
IDCARD_BAD_FIELD = define("IDCARD_BAD_FIELD", 3561, "reader", "ID-card reader output has an invalid field")
IDCARD_INCONSISTENT = define(
    "IDCARD_INCONSISTENT", 3562, "reader", "ID-card fields contradict the ID number (birth date or sex)"
)

# --- social-security-card reader (3580-3599) ----------------------------------------------------
SSC_BAD_RECORD = define(
    "SSC_BAD_RECORD", 3580, "reader", "social-security-card record does not have 11 '|'-separated fields"
)
SSC_BAD_FIELD = define("SSC_BAD_FIELD", 3581, "reader", "social-security-card record has an invalid field")
