"""APDU helpers of the card suite, written from DIGEST §2 (independent of ``card_emulators``)."""

from __future__ import annotations

from typing import Any

from ehc.gm import random_bytes


def sw(response: bytes) -> int:
    return (response[-2] << 8) | response[-1] if len(response) >= 2 else -1


def data(response: bytes) -> bytes:
    return response[:-2]


def send(dut: Any, apdu: bytes) -> tuple[bytes, int]:
    """Transmit and follow 61xx with GET RESPONSE (T=0 style); return (data, final SW)."""
    response = dut.transmit(apdu)
    collected = b""
    while len(response) >= 2 and response[-2] == 0x61:
        collected += response[:-2]
        response = dut.transmit(bytes([0x00, 0xC0, 0x00, 0x00, response[-1]]))
    return collected + response[:-2], sw(response)


def select(dut: Any, fid: int) -> int:
    return send(dut, bytes([0x00, 0xA4, 0x00, 0x00, 0x02]) + fid.to_bytes(2, "big"))[1]


def select_path(dut: Any, *fids: int) -> int:
    status = 0x9000
    for fid in fids:
        status = select(dut, fid)
        if status != 0x9000:
            return status
    return status


def read_record(dut: Any, number: int, le: int = 0) -> tuple[bytes, int]:
    return send(dut, bytes([0x00, 0xB2, number, 0x04, le]))


def parse_tlv_record(record: bytes) -> tuple[int, bytes]:
    """One ``Tag(1) Len(1) Value`` record -> (tag, value); AssertionError if malformed."""
    assert len(record) >= 2, f"record of {len(record)} bytes has no TLV header"
    tag, length = record[0], record[1]
    assert len(record) == 2 + length, f"item {tag}: length byte {length} but {len(record) - 2} value bytes"
    return tag, record[2:]


def card_number(atr: bytes) -> bytes:
    """ATR hex characters 10..25 (DIGEST §2.3)."""
    return bytes.fromhex(atr.hex().upper()[10:26])


def city_diversifier(dut: Any) -> bytes:
    """First 2 bytes of item 57 + ASCII '000000', read with ``00 B2 39 00 05`` in DDF1/EF05."""
    select_path(dut, 0x3F00, 0xDDF1, 0xEF05)
    record, status = send(dut, bytes.fromhex("00B2390005"))
    assert status == 0x9000, f"READ RECORD item 57: SW {status:04X}"
    return record[2:4] + b"000000"


def psam_send(dut: Any, apdu: bytes) -> tuple[bytes, int]:
    """PSAM command, following 61xx with GET RESPONSE."""
    response = dut.psam(apdu)
    collected = b""
    while len(response) >= 2 and response[-2] == 0x61:
        collected += response[:-2]
        response = dut.psam(bytes([0x00, 0xC0, 0x00, 0x00, response[-1]]))
    return collected + response[:-2], sw(response)


def open_psam(dut: Any) -> None:
    """SELECT 3F00, VERIFY PIN, SELECT DF01 (DIGEST §2.3)."""
    assert psam_send(dut, bytes.fromhex("00A40000023F00"))[1] == 0x9000, "PSAM SELECT 3F00"
    digits = dut.psam_pin + "F" * (len(dut.psam_pin) % 2)
    block = bytes.fromhex(digits)
    assert psam_send(dut, bytes([0x00, 0x20, 0x00, 0x00, len(block)]) + block)[1] == 0x9000, "PSAM VERIFY PIN"
    assert psam_send(dut, bytes.fromhex("00A4000002DF01"))[1] == 0x9000, "PSAM SELECT DF01"


def psam_cryptogram(
    dut: Any, psam_index: int, card_no: bytes, city: bytes, challenge: bytes, t: bytes
) -> bytes:
    """DELIVER KEY + CIPHER DATA on the PSAM, XOR of the two halves (DIGEST §2.3)."""
    two_levels = psam_index >> 12 == 4
    factors = card_no + (city if two_levels else b"") + challenge
    _, status = psam_send(
        dut, bytes([0x80, 0xDE, psam_index >> 8, psam_index & 0xFF, len(factors)]) + factors
    )
    assert status == 0x9000, f"PSAM DELIVER KEY {psam_index:04X}: SW {status:04X}"
    block, status = psam_send(dut, bytes([0x80, 0xFA, 0x00, 0x00, 0x10]) + t + bytes(8))
    assert status == 0x9000 and len(block) == 16, f"PSAM CIPHER DATA: SW {status:04X}"
    return bytes(a ^ b for a, b in zip(block[:8], block[8:], strict=True))


def external_authenticate(dut: Any, key: dict, card_no: bytes, city: bytes, *, tamper: bool = False) -> int:
    """GET CHALLENGE, PSAM cryptogram, EXTERNAL AUTHENTICATE; the SW of the last step."""
    challenge, status = send(dut, bytes.fromhex("0084000008"))
    assert status == 0x9000 and len(challenge) == 8, f"GET CHALLENGE: SW {status:04X}, {len(challenge)} bytes"
    t = random_bytes(8)
    cryptogram = psam_cryptogram(dut, key["psam_index"], card_no, city, challenge, t)
    if tamper:
        cryptogram = bytes([cryptogram[0] ^ 0x01]) + cryptogram[1:]
    return send(dut, bytes([0x00, 0x82, 0x00, key["ref"], 0x11]) + cryptogram + t + b"\x01")[1]


def probe(dut: Any, apdu: bytes) -> tuple[bytes, int]:
    """Transmit as a terminal would: follow 61xx with GET RESPONSE and re-issue once on 6Cxx with
    the Le the card names; return (every data byte the card gave, final SW)."""
    response = dut.transmit(apdu)
    collected = b""
    if len(response) == 2 and response[0] == 0x6C and len(apdu) in (4, 5):
        collected += response[:-2]
        response = dut.transmit(apdu[:4] + bytes([response[1]]))
    for _ in range(16):  # a card chaining 61xx forever is cut off (and its data still counted)
        if len(response) < 2 or response[-2] != 0x61:
            break
        collected += response[:-2]
        response = dut.transmit(bytes([0x00, 0xC0, 0x00, 0x00, response[-1]]))
    return collected + response[:-2], sw(response)


def probe_drained(dut: Any, apdu: bytes) -> tuple[bytes, int]:
    """``probe``, and when the card refused, a GET RESPONSE right after: a card that prepared the
    data before its access check may leave it in the response buffer. Returns every data byte the
    card gave (the refusal's and the buffer's) and the refusal's SW."""
    data, status = probe(dut, apdu)
    if is_success(status):
        return data, status
    left, _ = probe(dut, bytes.fromhex("00C0000000"))
    return data + left, status


def is_success(status: int) -> bool:
    """9000, 61xx, or a warning that may come with data (62xx/63xx but not 63Cx counters)."""
    return status == 0x9000 or status >> 8 in (0x61, 0x62) or (status >> 8 == 0x63 and status & 0xF0 != 0xC0)


def fci_df_name(fci: bytes) -> bytes | None:
    """The DF name (tag 84) of an FCI template 6F, if the card gives one."""
    if len(fci) < 2 or fci[0] != 0x6F:
        return None
    body, i = fci[2 : 2 + fci[1]], 0
    while i + 2 <= len(body):
        tag, length = body[i], body[i + 1]
        if tag == 0x84:
            return body[i + 2 : i + 2 + length]
        i += 2 + length
    return None
