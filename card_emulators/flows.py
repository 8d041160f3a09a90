"""Reference terminal-side flows between a user card and a PSAM (DIGEST §2.3).

Transport-agnostic: each side is a ``transmit(apdu: bytes) -> bytes`` callable returning response
data + SW1 SW2 (an :class:`~card_emulators.engine.CardOS`, the in-process pyscard connection, a PC/SC
connection wrapped in a lambda, ...). Every step checks its status word and raises
:class:`~card_emulators.errors.CardFlowError` naming the step and the SW; 61xx is followed by
GET RESPONSE automatically.
"""

from __future__ import annotations

from collections.abc import Callable

from card_emulators.engine import scheme
from card_emulators.errors import CardFlowError
from card_emulators.personalities.health_card import card_number_from_atr, city_diversifier
from card_emulators.personalities.health_layout import KEYS, KeySpec
from ehc.gm import pad_80, random_bytes

__all__ = [
    "Transmit",
    "KEY_SPECS",
    "send",
    "select",
    "open_psam",
    "read_city_diversifier",
    "authenticate",
    "authenticate_read_key",
    "authenticate_update_key",
    "secure_update_record",
    "internal_authenticate",
    "write_encounter_record",
    "card_number_from_atr",
]

Transmit = Callable[[bytes], bytes]
KEY_SPECS: dict[str, KeySpec] = {spec.label: spec for spec in KEYS}


def send(transmit: Transmit, apdu: bytes, step: str, expect: int = 0x9000) -> bytes:
    """Transmit, follow 61xx with GET RESPONSE (and 6Cxx with the same command at Le = xx, once),
    check the final SW; return the data."""
    resp = transmit(apdu)
    short_le = len(apdu) == 5 or (len(apdu) > 5 and apdu[4] != 0 and len(apdu) == 6 + apdu[4])
    if len(resp) == 2 and resp[0] == 0x6C and short_le:
        resp = transmit(apdu[:-1] + bytes([resp[1]]))  # short Le is the last byte
    data = b""
    while len(resp) >= 2 and resp[-2] == 0x61:
        data += resp[:-2]
        resp = transmit(bytes([0x00, 0xC0, 0x00, 0x00, resp[-1]]))
    if len(resp) < 2:
        raise CardFlowError(step, 0x0000, f"{step}: response shorter than a status word")
    sw = (resp[-2] << 8) | resp[-1]
    if sw != expect:
        raise CardFlowError(step, sw)
    return data + resp[:-2]


def select(transmit: Transmit, fid: int, step: str = "") -> bytes:
    return send(
        transmit, bytes([0x00, 0xA4, 0x00, 0x00, 0x02]) + fid.to_bytes(2, "big"), step or f"SELECT {fid:04X}"
    )


def open_psam(psam: Transmit, pin: str = "123456") -> None:
    """SELECT 3F00, VERIFY PIN (packed BCD, F-padded), SELECT DF01 (DIGEST §2.3)."""
    select(psam, 0x3F00, "PSAM SELECT 3F00")
    digits = pin + "F" * (len(pin) % 2)
    block = bytes.fromhex(digits)
    send(psam, bytes([0x00, 0x20, 0x00, 0x00, len(block)]) + block, "PSAM VERIFY PIN")
    select(psam, 0xDF01, "PSAM SELECT DF01")


def read_city_diversifier(card: Transmit) -> bytes:
    """SELECT DDF1 / EF05, READ RECORD by tag 57 (``00 B2 39 00 05``): city code diversifier."""
    select(card, 0xDDF1, "SELECT DDF1")
    select(card, 0xEF05, "SELECT EF05")
    record = send(card, bytes.fromhex("00B2390005"), "READ RECORD item 57")
    return city_diversifier(record[2:])


def _session(psam: Transmit, spec: KeySpec, card_number: bytes, city: bytes, random8: bytes) -> None:
    factors = card_number + (city if spec.levels == 2 else b"") + random8
    header = bytes([0x80, 0xDE, spec.index >> 8, spec.index & 0xFF, len(factors)])
    send(psam, header + factors, f"PSAM DELIVER KEY {spec.label}")


def _psam_encrypt(psam: Transmit, data: bytes, step: str) -> bytes:
    return send(psam, bytes([0x80, 0xFA, 0x00, 0x00, len(data)]) + data, step)


def authenticate(
    card: Transmit,
    psam: Transmit,
    card_number: bytes,
    city: bytes,
    key: str,
    terminal_random: bytes | None = None,
) -> None:
    """EXTERNAL AUTHENTICATE the terminal to the card with key ``key`` (e.g. "RK_DDF1") via the PSAM.

    The card's current DF must be the key's DF (or below it); the PSAM must be open (:func:`open_psam`).
    """
    spec = KEY_SPECS[key]
    t = terminal_random or random_bytes(8)
    r = send(card, bytes.fromhex("0084000008"), "GET CHALLENGE")
    _session(psam, spec, card_number, city, r)
    block = _psam_encrypt(psam, t + bytes(8), "PSAM CIPHER DATA")
    cryptogram = scheme.fold(block)
    send(
        card,
        bytes([0x00, 0x82, 0x00, spec.ref, 0x11]) + cryptogram + t + b"\x01",
        f"EXTERNAL AUTHENTICATE {key}",
    )


def authenticate_read_key(
    card: Transmit,
    psam: Transmit,
    card_number: bytes,
    city: bytes,
    key: str = "RK_DDF1",
    terminal_random: bytes | None = None,
) -> None:
    """Read-key authentication (DIGEST §2.3 observed flow)."""
    authenticate(card, psam, card_number, city, key, terminal_random)


def authenticate_update_key(
    card: Transmit,
    psam: Transmit,
    card_number: bytes,
    city: bytes,
    key: str = "UK_DDF1",
    terminal_random: bytes | None = None,
) -> None:
    """Update-key authentication: same flow with an update key."""
    authenticate(card, psam, card_number, city, key, terminal_random)


def secure_update_record(
    card: Transmit, psam: Transmit, card_number: bytes, city: bytes, stk: str, record: int, tlv: bytes
) -> None:
    """``04 DC <rec> 04`` with the session key of ``stk`` (e.g. "STK_DDF1") on a fresh card challenge:
    enc(L || TLV || pad) || MAC, both computed by the PSAM (the second card challenge of the flow)."""
    spec = KEY_SPECS[stk]
    r = send(card, bytes.fromhex("0084000008"), "GET CHALLENGE (SM)")
    _session(psam, spec, card_number, city, r)
    enc = _psam_encrypt(psam, pad_80(bytes([len(tlv)]) + tlv), "PSAM CIPHER DATA (SM)")
    header = bytes([0x04, 0xDC, record, 0x04])
    lc = len(enc) + 4
    mac_input = bytes(16) + pad_80(header + bytes([lc]) + enc)
    mac = send(psam, bytes([0x80, 0xFA, 0x05, 0x00, len(mac_input)]) + mac_input, "PSAM MAC")
    send(card, header + bytes([lc]) + enc + mac[:4], "UPDATE RECORD (SM)")


def internal_authenticate(
    card: Transmit,
    psam: Transmit,
    card_number: bytes,
    city: bytes,
    key: str = "IK_DDF1",
    terminal_random: bytes | None = None,
) -> bool:
    """INTERNAL AUTHENTICATE the card [I]: the card answers the same cryptogram the PSAM computes."""
    spec = KEY_SPECS[key]
    t = terminal_random or random_bytes(8)
    answer = send(card, bytes([0x00, 0x88, 0x00, spec.ref, 0x08]) + t + b"\x08", "INTERNAL AUTHENTICATE")
    _session(psam, spec, card_number, city, t)
    expected = scheme.fold(_psam_encrypt(psam, t + bytes(8), "PSAM CIPHER DATA"))
    return answer == expected


def write_encounter_record(
    card: Transmit,
    psam: Transmit,
    card_number: bytes,
    city: bytes,
    kind: int,
    slot: int,
    raw: bytes,
    chunk: int = 0xF0,
) -> None:
    """Write a whole encounter file (EExx inpatient: kind 0xEE, EDxx outpatient: 0xED) and mark its
    slot valid (00) in the index item 62 / 63. The card's current DF must be DF03 (or DDF1)."""
    inpatient = kind == 0xEE
    index_ef, update_key = (0xEF05, "UK_DF03_1") if inpatient else (0xEF06, "UK_DF03_2")
    select(card, 0xDF03, "SELECT DF03")
    authenticate(card, psam, card_number, city, "RK_DF03")
    authenticate(card, psam, card_number, city, update_key)
    select(card, (kind << 8) | slot, f"SELECT {kind:02X}{slot:02X}")
    for offset in range(0, len(raw), chunk):
        part = raw[offset : offset + chunk]
        send(card, bytes([0x00, 0xD6, offset >> 8, offset & 0xFF, len(part)]) + part, "UPDATE BINARY")
    select(card, index_ef, f"SELECT {index_ef:04X}")
    record = bytearray(send(card, bytes.fromhex("00B2010400"), "READ RECORD index"))
    if not 1 <= slot <= len(record) - 2:
        raise CardFlowError("index", 0x6A83, f"slot {slot} is not in the index")
    record[1 + slot] = 0x00
    send(card, bytes([0x00, 0xDC, 0x01, 0x04, len(record)]) + bytes(record), "UPDATE RECORD index")
