"""QR code text of the electronic health card (DIGEST §1.3): build, parse, seal and open validity.

* static  ``<EHCID>:1``       — 66 characters for a 64-digit EHCID;
* dynamic ``<EHCID>:0:<V>``   — 99 characters; ``V`` = upper-case hex of SM4-ECB(protect key,
  7 BCD bytes YYYYMMDDHHMMSS + nine 0x00 bytes), read as the code's expiry time.

Parse pipeline (the first failing stage decides the error code, so a vector names one layer):

1. **length**   empty → QR_EMPTY; not EHCID+2 / EHCID+35 for an accepted EHCID length → QR_BAD_LENGTH
2. **alphabet** lower-case a-f → QR_LOWERCASE_HEX; any other character outside 0-9 A-F ':' →
   QR_BAD_ALPHABET (a text with both reports QR_BAD_ALPHABET: it is not hex at all)
3. **fields**   field 0 not an accepted EHCID length → QR_BAD_EHCID_FIELD; no type field →
   QR_MISSING_FIELD
4. **type**     type field not ``0``/``1`` → QR_UNKNOWN_TYPE; then the field count that type needs
   (reported with the ``fields``-layer codes): static with a third field → QR_EXTRA_FIELD;
   dynamic without validity → QR_MISSING_FIELD, with a fourth field → QR_EXTRA_FIELD
5. **validity** (dynamic) ``V`` not 32 hex digits → QR_VALIDITY_MALFORMED; with a protect key:
   padding not nine 0x00 → QR_VALIDITY_BAD_PADDING, nibble > 9 → QR_VALIDITY_NOT_BCD, not a real
   date-time → QR_VALIDITY_BAD_DATE
6. **time**     now > valid_until + skew → QR_EXPIRED; valid_until > now + max lifetime + skew →
   QR_NOT_YET_VALID (a code no issuer following this policy could have produced)

Speed: a well-formed code goes through one precompiled ``fullmatch`` and one block decrypt on a
per-thread, per-key cached decryptor; the slow diagnosis runs only for bad input.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo

from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes

from ehc.errors import EhcError
from qr_codec.ehcid import validate_ehcid
from qr_codec.errors import (
    OPAQUE_EMPTY,
    OPAQUE_NOT_PRINTABLE,
    OPAQUE_TOO_LONG,
    QR_BAD_ALPHABET,
    QR_BAD_EHCID_FIELD,
    QR_BAD_LENGTH,
    QR_BAD_LIFETIME,
    QR_BAD_PROTECT_KEY,
    QR_BAD_VALIDITY_TIME,
    QR_EMPTY,
    QR_EXPIRED,
    QR_EXTRA_FIELD,
    QR_LOWERCASE_HEX,
    QR_MISSING_FIELD,
    QR_NOT_YET_VALID,
    QR_UNKNOWN_TYPE,
    QR_VALIDITY_BAD_DATE,
    QR_VALIDITY_BAD_PADDING,
    QR_VALIDITY_MALFORMED,
    QR_VALIDITY_NOT_BCD,
)

__all__ = [
    "CHINA_STANDARD_TIME",
    "QrPolicy",
    "DEFAULT_POLICY",
    "NATIONAL_STRICT_POLICY",
    "QrCode",
    "OpaqueToken",
    "OPAQUE_MAX_LENGTH",
    "STATIC",
    "DYNAMIC",
    "make_static",
    "make_dynamic",
    "valid_until_for",
    "format_stamp",
    "seal_validity",
    "open_validity",
    "parse",
    "accept_opaque",
    "classify",
    "clear_caches",
]

#: Validity times are platform wall-clock times; Chinese platforms run on UTC+8 (no DST).
CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")
STATIC = "static"
DYNAMIC = "dynamic"
#: DIGEST §1.3: a verifier should accept opaque tokens up to 256 characters and hand them on.
OPAQUE_MAX_LENGTH = 256

_TYPE_DYNAMIC = "0"
_TYPE_STATIC = "1"
_ZERO_PAD = bytes(9)
_ECB = modes.ECB()


_UPPER_HEX = re.compile(r"[0-9A-F]+")
_FAST_CACHE: dict[tuple[int, ...], re.Pattern[str]] = {}


def _fast_pattern(lengths: tuple[int, ...]) -> re.Pattern[str]:
    pat = _FAST_CACHE.get(lengths)
    if pat is None:
        alts = "|".join(f"[0-9A-F]{{{n}}}" for n in sorted(set(lengths)))
        pat = _FAST_CACHE[lengths] = re.compile(rf"({alts}):(?:(1)|0:([0-9A-F]{{32}}))")
    return pat


@dataclass(frozen=True, slots=True)
class QrPolicy:
    """Values the public specification does not fix (see docs/assumptions.md, "qr_codec").

    default_lifetime  lifetime of a new dynamic code (300 s)
    max_lifetime      longest lifetime any issuer may grant; a code expiring later than
                      now + max_lifetime + clock_skew is QR_NOT_YET_VALID (1 h)
    clock_skew        tolerance on both time checks, for clocks of node instances (30 s)
    max_uses          successful verifications a dynamic code allows (Shandong ``surplusNum``);
                      enforced by the node, which keeps the count (5)
    ehcid_hex_lengths EHCID lengths the parser accepts: 64 = "01" + 18-character ID number
                      (the confirmed 66/99-character texts); 32 and 96 come from shorter/longer
                      document numbers (birth certificates, passports) under the same algorithm
    tz                time zone of the sealed wall-clock time (UTC+8)
    """

    default_lifetime: timedelta = timedelta(seconds=300)
    max_lifetime: timedelta = timedelta(hours=1)
    clock_skew: timedelta = timedelta(seconds=30)
    max_uses: int = 5
    ehcid_hex_lengths: tuple[int, ...] = (64, 32, 96)
    tz: tzinfo = field(default=CHINA_STANDARD_TIME)
    # derived once per policy so parse() does no per-call setup
    _fast_re: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _latest: timedelta = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        zero = timedelta(0)
        if not (zero < self.default_lifetime <= self.max_lifetime) or self.clock_skew < zero:
            raise EhcError(QR_BAD_LIFETIME, "need 0 < default_lifetime <= max_lifetime and clock_skew >= 0")
        if self.max_uses < 1:
            raise EhcError(QR_BAD_LIFETIME, "max_uses must be at least 1")
        if not self.ehcid_hex_lengths or any(n <= 0 or n % 32 for n in self.ehcid_hex_lengths):
            raise EhcError(QR_BAD_LIFETIME, "EHCID lengths must be positive multiples of 32 hex digits")
        object.__setattr__(self, "_fast_re", _fast_pattern(tuple(self.ehcid_hex_lengths)))
        object.__setattr__(self, "_latest", self.max_lifetime + self.clock_skew)


DEFAULT_POLICY = QrPolicy()
#: Only the confirmed 66-character static and 99-character dynamic texts (64-digit EHCIDs).
NATIONAL_STRICT_POLICY = QrPolicy(ehcid_hex_lengths=(64,))


@dataclass(frozen=True, slots=True)
class QrCode:
    """A parsed QR text. ``valid_until`` is set for dynamic codes opened with the protect key."""

    kind: str
    ehcid: str
    validity_field: str | None
    valid_until: datetime | None
    text: str

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "ehcid": self.ehcid,
            "validity_field": self.validity_field,
            "valid_until": format_stamp(self.valid_until) if self.valid_until else None,
            "text": self.text,
        }


@dataclass(frozen=True, slots=True)
class OpaqueToken:
    """A scanned text that is not a national code: handed to the node unparsed (DIGEST §1.3)."""

    text: str
    kind: str = "opaque"

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "text": self.text}


# ------------------------------------------------------------------------ cached ciphers
class _Contexts(threading.local):
    def __init__(self) -> None:
        self.enc: dict[bytes, CipherContext] = {}
        self.dec: dict[bytes, CipherContext] = {}


_ctx = _Contexts()


def clear_caches() -> None:
    """Forget this thread's cached protect-key cipher contexts (e.g. after a key rotation)."""
    _ctx.enc.clear()
    _ctx.dec.clear()


def _protect_key(key: bytes) -> bytes:
    if not isinstance(key, (bytes, bytearray, memoryview)) or len(key) != 16:
        raise EhcError(QR_BAD_PROTECT_KEY)
    return bytes(key)


def _context(cache: dict[bytes, CipherContext], key: bytes, decrypt: bool) -> CipherContext:
    if type(key) is not bytes:  # bytearray/memoryview are unhashable; anything else is refused
        key = _protect_key(key)
    ctx = cache.get(key)
    if ctx is None:
        key = _protect_key(key)
        if len(cache) >= 64:  # protect keys are few (one per platform/rotation); stay bounded
            cache.clear()
        cipher = Cipher(algorithms.SM4(key), _ECB)
        ctx = cache[key] = cipher.decryptor() if decrypt else cipher.encryptor()
    return ctx


# ------------------------------------------------------------------------ validity
def format_stamp(when: datetime) -> str:
    """YYYYMMDDHHMMSS of the wall time. Not strftime: glibc's %Y does not zero-pad years < 1000."""
    t = when
    return f"{t.year:04d}{t.month:02d}{t.day:02d}{t.hour:02d}{t.minute:02d}{t.second:02d}"


def _wall_clock(when: datetime, tz: tzinfo) -> datetime:
    """Aware → converted to ``tz``; naive → taken as a wall-clock time in ``tz``."""
    if when.tzinfo is None:
        return when.replace(tzinfo=tz)
    return when.astimezone(tz)


def seal_validity(protect_key: bytes, when: datetime, *, tz: tzinfo = CHINA_STANDARD_TIME) -> str:
    """``V`` = hex(SM4-ECB(protect key, BCD(YYYYMMDDHHMMSS) + 9 × 0x00)); sub-seconds are dropped."""
    if not isinstance(when, datetime):
        raise EhcError(QR_BAD_VALIDITY_TIME, "validity time must be a datetime")
    try:
        local = _wall_clock(when, tz)
    except OverflowError:
        raise EhcError(QR_BAD_VALIDITY_TIME, "validity time out of range in the platform time zone") from None
    bcd = bytes.fromhex(format_stamp(local))
    return _context(_ctx.enc, protect_key, False).update(bcd + _ZERO_PAD).hex().upper()


#: BCD byte -> its value 0..99; a byte with a nibble above 9 -> 0xFF (one translate() checks all 7)
_BCD_VALUE = bytes((b >> 4) * 10 + (b & 15) if (b >> 4) < 10 and (b & 15) < 10 else 0xFF for b in range(256))


def _bcd_time(plain: bytes, tz: tzinfo) -> datetime:
    if plain[7:] != _ZERO_PAD:
        raise EhcError(QR_VALIDITY_BAD_PADDING)
    v = plain[:7].translate(_BCD_VALUE)
    if 0xFF in v:
        raise EhcError(QR_VALIDITY_NOT_BCD)
    try:
        return datetime(v[0] * 100 + v[1], v[2], v[3], v[4], v[5], v[6], tzinfo=tz)
    except ValueError:
        raise EhcError(QR_VALIDITY_BAD_DATE, "decrypted validity time is not a real date-time") from None


def open_validity(protect_key: bytes, v: str, *, tz: tzinfo = CHINA_STANDARD_TIME) -> datetime:
    """Decrypt a validity field: an aware datetime in ``tz``. Raises the QR_VALIDITY_* codes."""
    if not isinstance(v, str) or len(v) != 32 or not _UPPER_HEX.fullmatch(v):
        raise EhcError(QR_VALIDITY_MALFORMED)
    return _bcd_time(_context(_ctx.dec, protect_key, True).update(bytes.fromhex(v)), tz)


def valid_until_for(
    now: datetime | None = None, lifetime: timedelta | None = None, *, policy: QrPolicy = DEFAULT_POLICY
) -> datetime:
    """Expiry of a dynamic code issued at ``now`` (default: the clock) with ``lifetime``."""
    lifetime = policy.default_lifetime if lifetime is None else lifetime
    if not (timedelta(0) < lifetime <= policy.max_lifetime):
        raise EhcError(QR_BAD_LIFETIME, "lifetime must be positive and at most the policy's max_lifetime")
    now = datetime.now(policy.tz) if now is None else _wall_clock(now, policy.tz)
    return (now + lifetime).replace(microsecond=0)


# ------------------------------------------------------------------------ build
def _check_ehcid(ehcid: str, policy: QrPolicy) -> str:
    validate_ehcid(ehcid)
    if len(ehcid) not in policy.ehcid_hex_lengths:
        raise EhcError(
            QR_BAD_EHCID_FIELD,
            f"EHCID of {len(ehcid)} hex digits is not accepted by this policy",
            accepted=",".join(map(str, policy.ehcid_hex_lengths)),
        )
    return ehcid


def make_static(ehcid: str, *, policy: QrPolicy = DEFAULT_POLICY) -> str:
    """Static code text ``<EHCID>:1``."""
    return _check_ehcid(ehcid, policy) + ":" + _TYPE_STATIC


def make_dynamic(
    ehcid: str,
    protect_key: bytes,
    valid_until: datetime | None = None,
    *,
    now: datetime | None = None,
    lifetime: timedelta | None = None,
    policy: QrPolicy = DEFAULT_POLICY,
) -> str:
    """Dynamic code text ``<EHCID>:0:<V>``; without ``valid_until`` it expires now + lifetime."""
    _check_ehcid(ehcid, policy)
    if valid_until is None:
        valid_until = valid_until_for(now, lifetime, policy=policy)
    return f"{ehcid}:{_TYPE_DYNAMIC}:{seal_validity(protect_key, valid_until, tz=policy.tz)}"


# ------------------------------------------------------------------------ parse
def _diagnose(text: object, policy: QrPolicy) -> EhcError:
    """The error of the first failing pipeline stage, for a text the fast pattern rejected."""
    if not isinstance(text, str) or not text:
        return EhcError(QR_EMPTY) if not text else EhcError(QR_BAD_ALPHABET, "QR text must be a string")
    n = len(text)
    lengths = policy.ehcid_hex_lengths
    if not any(n in (e + 2, e + 35) for e in lengths):
        static = "/".join(str(e + 2) for e in lengths)
        dynamic = "/".join(str(e + 35) for e in lengths)
        return EhcError(
            QR_BAD_LENGTH,
            f"QR text has {n} characters; a static code has EHCID + 2 ({static}), a dynamic one EHCID + 35 ({dynamic})",
            length=n,
        )
    bad = {c for c in text if c not in "0123456789ABCDEF:"}
    if bad:
        if bad <= set("abcdef"):
            return EhcError(QR_LOWERCASE_HEX)
        return EhcError(QR_BAD_ALPHABET, "QR text has characters outside 0-9 A-F ':'", count=len(bad))
    fields = text.split(":")
    if len(fields[0]) not in lengths:
        return EhcError(QR_BAD_EHCID_FIELD, f"field 0 has {len(fields[0])} hex digits", length=len(fields[0]))
    if len(fields) < 2 or not fields[1]:
        return EhcError(QR_MISSING_FIELD, "type field is missing")
    if fields[1] not in (_TYPE_DYNAMIC, _TYPE_STATIC):
        return EhcError(QR_UNKNOWN_TYPE)
    if fields[1] == _TYPE_STATIC:
        return EhcError(QR_EXTRA_FIELD, "a static code has exactly two fields", fields=len(fields))
    if len(fields) < 3 or not fields[2]:
        return EhcError(QR_MISSING_FIELD, "dynamic code has no validity field")
    if len(fields) > 3:
        return EhcError(QR_EXTRA_FIELD, "a dynamic code has exactly three fields", fields=len(fields))
    return EhcError(QR_VALIDITY_MALFORMED, "validity field must be 32 hex digits", length=len(fields[2]))


def parse(
    text: str,
    protect_key: bytes | None = None,
    now: datetime | None = None,
    clock_skew: timedelta | None = None,
    *,
    policy: QrPolicy = DEFAULT_POLICY,
) -> QrCode:
    """Parse and check a QR text; raises EhcError with the code of the first failing stage.

    Without ``protect_key`` a dynamic code's validity is only checked for form (terminals do not
    hold the key; the node must pass it). ``now`` defaults to the clock; a naive ``now`` is a wall
    time in ``policy.tz``.
    """
    m = policy._fast_re.fullmatch(text) if isinstance(text, str) else None
    if m is None:
        raise _diagnose(text, policy)
    ehcid, static, v = m.groups()
    if static:
        return QrCode(STATIC, ehcid, None, None, text)
    if protect_key is None:
        return QrCode(DYNAMIC, ehcid, v, None, text)
    tz = policy.tz
    dec = _ctx.dec.get(protect_key) if type(protect_key) is bytes else None
    if dec is None:
        dec = _context(_ctx.dec, protect_key, True)
    valid_until = _bcd_time(dec.update(bytes.fromhex(v)), tz)
    if now is None:
        now = datetime.now(tz)
    elif isinstance(now, datetime):
        now = now.replace(tzinfo=tz) if now.tzinfo is None else now.astimezone(tz)
    else:
        raise EhcError(QR_BAD_VALIDITY_TIME, "validation clock must be a datetime")
    remaining = valid_until - now  # a difference never overflows, unlike valid_until + skew
    if clock_skew is None:
        early, late = -policy.clock_skew, policy._latest
    else:
        early, late = -clock_skew, policy.max_lifetime + clock_skew
    if remaining < early:
        raise EhcError(QR_EXPIRED, valid_until=format_stamp(valid_until))
    if remaining > late:
        raise EhcError(QR_NOT_YET_VALID, valid_until=format_stamp(valid_until))
    return QrCode(DYNAMIC, ehcid, v, valid_until, text)


# ------------------------------------------------------------------------ opaque tokens
def accept_opaque(text: str, max_length: int = OPAQUE_MAX_LENGTH) -> OpaqueToken:
    """Accept a scanned token a verifier forwards unparsed: 1..max_length printable characters."""
    if not isinstance(text, str) or not text:
        raise EhcError(OPAQUE_EMPTY)
    if len(text) > max_length:
        raise EhcError(
            OPAQUE_TOO_LONG, f"token has {len(text)} characters, limit {max_length}", length=len(text)
        )
    if not text.isprintable():
        raise EhcError(OPAQUE_NOT_PRINTABLE)
    return OpaqueToken(text)


def classify(
    text: str, *, max_length: int = OPAQUE_MAX_LENGTH, policy: QrPolicy = DEFAULT_POLICY
) -> QrCode | OpaqueToken:
    """What a terminal does with a scan: a well-formed national code (form only, no key) or an
    opaque token for the node. Raises only the OPAQUE_* codes."""
    try:
        return parse(text, policy=policy)
    except EhcError:
        return accept_opaque(text, max_length)
