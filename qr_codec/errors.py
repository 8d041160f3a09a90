"""Error codes of the QR codec (2xxx), one per distinguishable failure.

Layers follow the parse pipeline (see :mod:`qr_codec.text`): ``length`` → ``alphabet`` →
``fields`` → ``type`` → ``validity`` → ``time``; then the EHCID derivation (``ehcid``), opaque
tokens (``opaque``) and images (``image``). A verifier can map every code to a provincial message;
the unreadable-validity codes (2020-2024) together correspond to the provincial
"动态二维码有效时间解析错误" and 2030 to "有效时间已过期".
"""

from __future__ import annotations

from ehc.errors import define

# --- QR text: length stage ------------------------------------------------------------------
QR_EMPTY = define("QR_EMPTY", 2001, "length", "QR text is empty")
QR_BAD_LENGTH = define(
    "QR_BAD_LENGTH",
    2002,
    "length",
    "QR text length fits neither a static (EHCID + 2) nor a dynamic (EHCID + 35) code",
)
# --- alphabet stage ---------------------------------------------------------------------------
QR_BAD_ALPHABET = define(
    "QR_BAD_ALPHABET", 2003, "alphabet", "QR text has a character other than 0-9, A-F and ':'"
)
QR_LOWERCASE_HEX = define(
    "QR_LOWERCASE_HEX", 2004, "alphabet", "QR text has lower-case hex digits; only upper case is valid"
)
# --- fields stage -----------------------------------------------------------------------------
QR_BAD_EHCID_FIELD = define(
    "QR_BAD_EHCID_FIELD", 2010, "fields", "field 0 (EHCID) has the wrong number of hex digits"
)
QR_MISSING_FIELD = define(
    "QR_MISSING_FIELD", 2011, "fields", "a field the code type requires is missing or empty"
)
QR_EXTRA_FIELD = define("QR_EXTRA_FIELD", 2012, "fields", "the code has more fields than its type allows")
# --- type stage -------------------------------------------------------------------------------
QR_UNKNOWN_TYPE = define("QR_UNKNOWN_TYPE", 2015, "type", "type field is not '0' (dynamic) or '1' (static)")
# --- validity stage (dynamic codes) -----------------------------------------------------------
QR_VALIDITY_MALFORMED = define(
    "QR_VALIDITY_MALFORMED", 2020, "validity", "validity field is not 32 upper-case hex digits"
)
QR_VALIDITY_BAD_PADDING = define(
    "QR_VALIDITY_BAD_PADDING",
    2021,
    "validity",
    "decrypted validity block is not 7 BCD bytes followed by nine 0x00 bytes (wrong key or forged)",
)
QR_VALIDITY_NOT_BCD = define(
    "QR_VALIDITY_NOT_BCD", 2022, "validity", "decrypted validity time has a nibble above 9 (not BCD)"
)
QR_VALIDITY_BAD_DATE = define(
    "QR_VALIDITY_BAD_DATE", 2023, "validity", "decrypted validity time is not a real date and time"
)
QR_BAD_PROTECT_KEY = define("QR_BAD_PROTECT_KEY", 2024, "validity", "protect key must be 16 bytes")
QR_BAD_VALIDITY_TIME = define(
    "QR_BAD_VALIDITY_TIME",
    2025,
    "validity",
    "validity time cannot be sealed (not a datetime, or outside years 0001-9999)",
)
# --- time stage -------------------------------------------------------------------------------
QR_EXPIRED = define("QR_EXPIRED", 2030, "time", "dynamic code validity time has passed (有效时间已过期)")
QR_NOT_YET_VALID = define(
    "QR_NOT_YET_VALID",
    2031,
    "time",
    "dynamic code expires further ahead than the maximum lifetime plus clock skew allows",
)
QR_BAD_LIFETIME = define(
    "QR_BAD_LIFETIME",
    2032,
    "time",
    "QR policy setting out of range: lifetime, clock skew, use count or accepted EHCID lengths",
)
# --- opaque tokens ----------------------------------------------------------------------------
OPAQUE_EMPTY = define("OPAQUE_EMPTY", 2040, "opaque", "opaque token is empty")
OPAQUE_TOO_LONG = define("OPAQUE_TOO_LONG", 2041, "opaque", "opaque token is longer than the limit")
OPAQUE_NOT_PRINTABLE = define(
    "OPAQUE_NOT_PRINTABLE", 2042, "opaque", "opaque token has a control or other non-printable character"
)
# --- EHCID derivation -------------------------------------------------------------------------
EHCID_BAD_MAIN_INDEX = define("EHCID_BAD_MAIN_INDEX", 2050, "ehcid", "main index must be 32 bytes")
EHCID_BAD_ROOT_KEY = define("EHCID_BAD_ROOT_KEY", 2051, "ehcid", "root security key must be 16 bytes")
EHCID_BAD_DOC_TYPE = define("EHCID_BAD_DOC_TYPE", 2052, "ehcid", "document type must be two ASCII digits")
EHCID_BAD_DOC_NUMBER = define(
    "EHCID_BAD_DOC_NUMBER",
    2053,
    "ehcid",
    "document number must be non-empty printable ASCII without spaces",
)
EHCID_LOWERCASE_X = define(
    "EHCID_LOWERCASE_X", 2054, "ehcid", "ID number check character must be upper-case X"
)
EHCID_BAD_FORMAT = define(
    "EHCID_BAD_FORMAT", 2055, "ehcid", "EHCID must be upper-case hex, a whole number of 16-byte blocks"
)
EHCID_DECRYPT_MISMATCH = define(
    "EHCID_DECRYPT_MISMATCH",
    2056,
    "ehcid",
    "EHCID does not decrypt to document type + number under this main index and root key",
)
# --- images -----------------------------------------------------------------------------------
IMAGE_UNREADABLE = define(
    "IMAGE_UNREADABLE", 2060, "image", "image cannot be opened or has an unsupported layout"
)
IMAGE_NO_CODE = define("IMAGE_NO_CODE", 2061, "image", "no QR code found in the image")
IMAGE_RENDER_FAILED = define(
    "IMAGE_RENDER_FAILED", 2062, "image", "QR code cannot be rendered with these options"
)
DEGRADE_UNKNOWN = define(
    "DEGRADE_UNKNOWN", 2070, "image", "unknown degradation name or parameter out of range"
)

#: The codes a QR *text* parse can raise, in pipeline order (used by tests and the vector README).
PARSE_CODES = (
    QR_EMPTY,
    QR_BAD_LENGTH,
    QR_BAD_ALPHABET,
    QR_LOWERCASE_HEX,
    QR_BAD_EHCID_FIELD,
    QR_MISSING_FIELD,
    QR_EXTRA_FIELD,
    QR_UNKNOWN_TYPE,
    QR_VALIDITY_MALFORMED,
    QR_VALIDITY_BAD_PADDING,
    QR_VALIDITY_NOT_BCD,
    QR_VALIDITY_BAD_DATE,
    QR_EXPIRED,
    QR_NOT_YET_VALID,
)
