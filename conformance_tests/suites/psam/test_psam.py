"""PSAM: selection, PIN, key diversification, cipher and MAC, SAM number, SM3/SM2 services."""

from __future__ import annotations

import re

import pytest

from conformance_tests.suites.card.helpers import psam_send
from ehc.gm import SM2PublicKey, random_bytes, sm3

CARD_NO = bytes.fromhex("1001200112345678")
CITY = b"\x37\x08000000"


def pin_block(pin: str) -> bytes:
    return bytes.fromhex(pin + "F" * (len(pin) % 2))


@pytest.fixture
def psam(dut):
    dut.psam_reset()
    assert psam_send(dut, bytes.fromhex("00A40000023F00"))[1] == 0x9000
    return dut


def open_app(dut) -> None:
    block = pin_block(dut.psam_pin)
    assert psam_send(dut, bytes([0x00, 0x20, 0x00, 0x00, len(block)]) + block)[1] == 0x9000
    assert psam_send(dut, bytes.fromhex("00A4000002DF01"))[1] == 0x9000


@pytest.mark.requirement("PSAM-001", "CARD-APDU-010")
def test_mf_and_application_are_selectable(psam):
    assert psam_send(psam, bytes.fromhex("00A40000023F00"))[1] == 0x9000
    assert psam_send(psam, bytes.fromhex("00A4000002DF01"))[1] == 0x9000


@pytest.mark.requirement("PSAM-002")
def test_pin_unlocks_and_a_wrong_pin_counts_down(psam):
    wrong = pin_block("9" * len(psam.psam_pin))
    _, status = psam_send(psam, bytes([0x00, 0x20, 0x00, 0x00, len(wrong)]) + wrong)
    assert status >> 4 == 0x63C, f"wrong PIN: SW {status:04X}"
    right = pin_block(psam.psam_pin)
    assert psam_send(psam, bytes([0x00, 0x20, 0x00, 0x00, len(right)]) + right)[1] == 0x9000


@pytest.mark.requirement("PSAM-003", "SEC-007")
@pytest.mark.parametrize(("index", "levels"), [(0x272A, 1), (0x272B, 1), (0x4731, 2), (0x4734, 2)])
def test_deliver_key_one_and_two_levels(psam, index, levels):
    data = CARD_NO + (CITY if levels == 2 else b"") + random_bytes(8)
    assert psam_send(psam, bytes([0x80, 0xDE, index >> 8, index & 0xFF, len(data)]) + data)[1] != 0x9000, (
        "DELIVER KEY accepted before VERIFY PIN"
    )
    open_app(psam)
    assert psam_send(psam, bytes([0x80, 0xDE, index >> 8, index & 0xFF, len(data)]) + data)[1] == 0x9000
    wrong = data[:-8]
    assert psam_send(psam, bytes([0x80, 0xDE, index >> 8, index & 0xFF, len(wrong)]) + wrong)[1] != 0x9000, (
        "DELIVER KEY accepted with the wrong length"
    )


def _session(dut, random8: bytes) -> None:
    open_app(dut)
    data = CARD_NO + CITY + random8
    assert psam_send(dut, bytes([0x80, 0xDE, 0x47, 0x31, len(data)]) + data)[1] == 0x9000


@pytest.mark.requirement("PSAM-004", "CARD-AUTH-007")
def test_cipher_and_mac_depend_on_key_and_data(psam):
    r1 = random_bytes(8)
    _session(psam, r1)
    block = random_bytes(16)
    enc1, status = psam_send(psam, bytes([0x80, 0xFA, 0x00, 0x00, 16]) + block)
    assert status == 0x9000 and len(enc1) == 16 and enc1 != block
    mac_input = bytes(16) + block + b"\x80" + bytes(15)
    mac1, status = psam_send(psam, bytes([0x80, 0xFA, 0x05, 0x00, len(mac_input)]) + mac_input)
    assert status == 0x9000 and 4 <= len(mac1) <= 16
    mac2, _ = psam_send(psam, bytes([0x80, 0xFA, 0x05, 0x00, len(mac_input)]) + mac_input[:-1] + b"\x01")
    assert mac2 != mac1, "MAC does not depend on the data"
    _session(psam, bytes(b ^ 0xFF for b in r1))
    enc2, _ = psam_send(psam, bytes([0x80, 0xFA, 0x00, 0x00, 16]) + block)
    assert enc2 != enc1, "cipher does not depend on the diversified session key"


@pytest.mark.requirement("PSAM-005")
def test_sam_number_is_org_code_plus_department(psam, profile):
    assert psam_send(psam, bytes.fromhex("00A4000002DF01"))[1] == 0x9000
    fid = int(profile.param("psam.sam_number_fid"))
    assert psam_send(psam, bytes([0x00, 0xA4, 0x00, 0x00, 0x02]) + fid.to_bytes(2, "big"))[1] == 0x9000
    raw, status = psam_send(psam, bytes.fromhex("00B0000016"))
    assert status == 0x9000
    number = raw.rstrip(b"\x00 ").decode("ascii")
    assert re.fullmatch(r"[0-9A-Z]{9,18}\d{4}", number), f"SAM number {number!r}"


@pytest.mark.requirement("PSAM-006")
def test_sm3_and_sm2_services(psam, profile):
    message = b"ehc conformance " * 3
    digest, status = psam_send(
        psam, bytes.fromhex(profile.param("psam.pso_hash")) + bytes([len(message)]) + message
    )
    assert status == 0x9000 and digest == sm3(message), "PSO HASH is not SM3"
    public_hex = psam.holder().get("psam_sign_public_key_hex")
    key = SM2PublicKey.from_hex(public_hex) if public_hex else None
    message = "就诊记录 TEST".encode()
    e = key.digest_for(message) if key else sm3(message)  # e = SM3(Z || M) for the lab-known key
    sign = bytes.fromhex(profile.param("psam.pso_sign")) + bytes([32]) + e
    assert psam_send(psam, sign)[1] == 0x6982, "signature service available before VERIFY PIN"
    open_app(psam)
    assert psam_send(psam, bytes.fromhex("00A40000023F00"))[1] == 0x9000
    signature, status = psam_send(psam, sign)
    assert status == 0x9000 and len(signature) == 64
    if key is not None:  # the lab knows the PSAM's public key: the signature must verify
        assert key.verify(signature, message), "PSAM signature does not verify"
