"""PSAM commands: VERIFY PIN, DELIVER KEY, CIPHER DATA, PSO hash and sign."""

from __future__ import annotations

import pytest
from ce_helpers import hx, run

from card_emulators import flows
from card_emulators.engine import SW, scheme
from ehc.gm import SM2PrivateKey, pad_80, sm3, sm4_cbc_encrypt

CARD_NO = hx("1001200100000042")
CITY = hx("3708") + b"000000"
RND = hx("0011223344556677")


@pytest.fixture
def opened(psam):
    flows.open_psam(psam.transmit)
    return psam


def test_deliver_key_needs_pin(psam):
    run(psam, "00A4000002DF01")
    assert run(psam, "80DE473118" + (CARD_NO + CITY + RND).hex())[1] == SW.SECURITY_STATUS


def test_pin_verified_in_mf_survives_selecting_df01(psam):
    run(psam, "00A40000023F00")
    assert run(psam, "0020000003123456")[1] == SW.OK
    run(psam, "00A4000002DF01")
    assert run(psam, "80DE473118" + (CARD_NO + CITY + RND).hex())[1] == SW.OK


def test_deliver_key_two_levels_then_cipher(opened, keys):
    assert run(opened, "80DE473118" + (CARD_NO + CITY + RND).hex())[1] == SW.OK
    data = hx("0102030405060708") + bytes(8)
    status = run(opened, "80FA000010" + data.hex())[1]
    assert status == 0x6110  # T=0 style: fetch with GET RESPONSE
    out, status = run(opened, "00C0000010")
    session = scheme.diversify_chain(keys.masters[0x4731], CARD_NO, CITY, RND)
    from ehc.gm import sm4_ecb_encrypt

    assert (out, status) == (sm4_ecb_encrypt(session, data), SW.OK)


def test_deliver_key_one_level(opened, keys):
    assert run(opened, "80DE272A10" + (CARD_NO + RND).hex())[1] == SW.OK
    out, _ = run(opened, "80FA00001000000000000000000000000000000000" + "10")
    session = scheme.diversify_chain(keys.masters[0x272A], CARD_NO, RND)
    from ehc.gm import sm4_ecb_encrypt

    assert out == sm4_ecb_encrypt(session, bytes(16))


def test_deliver_key_errors(opened):
    assert run(opened, "80DE473110" + (CARD_NO + RND).hex())[1] == SW.WRONG_LENGTH  # two levels need 0x18
    assert run(opened, "80DE272A18" + (CARD_NO + CITY + RND).hex())[1] == SW.WRONG_LENGTH
    assert run(opened, "80DE999918" + (CARD_NO + CITY + RND).hex())[1] == SW.WRONG_P1P2
    assert run(opened, "80DE47FF18" + (CARD_NO + CITY + RND).hex())[1] == SW.REF_DATA_NOT_FOUND
    assert run(opened, "00DE473118" + (CARD_NO + CITY + RND).hex())[1] == SW.CLA_NOT_SUPPORTED


def test_cipher_errors(opened):
    assert run(opened, "80FA000010" + "00" * 16)[1] == SW.CONDITIONS  # no session key yet
    run(opened, "80DE272A10" + (CARD_NO + RND).hex())
    assert run(opened, "80FA00000F" + "00" * 15)[1] == SW.WRONG_LENGTH
    assert run(opened, "80FA010010" + "00" * 16)[1] == SW.WRONG_P1P2
    assert run(opened, "80FA050010" + "00" * 16)[1] == SW.WRONG_LENGTH  # IV alone is no MAC input


def test_mac(opened, keys):
    run(opened, "80DE280210" + (CARD_NO + RND).hex())
    msg = hx("04DC010414") + bytes(16)
    body = bytes(16) + pad_80(msg)
    out, status = run(opened, f"80FA0500{len(body):02X}" + body.hex() + "04")
    session = scheme.diversify_chain(keys.masters[0x2802], CARD_NO, RND)
    assert status == SW.OK
    assert out == sm4_cbc_encrypt(session, bytes(16), pad_80(msg))[-16:][:4] == scheme.mac4(session, msg)


def test_session_key_dropped_when_leaving_df01(opened):
    run(opened, "80DE272A10" + (CARD_NO + RND).hex())
    run(opened, "00A40000023F00")
    run(opened, "00A4000002DF01")
    assert run(opened, "80FA000010" + "00" * 16)[1] == SW.CONDITIONS


def test_pso_hash_and_sign(opened):
    msg = "居民健康卡".encode("gb2312")
    digest, status = run(opened, f"002A9080{len(msg):02X}" + msg.hex() + "00")
    assert (digest, status) == (sm3(msg), SW.OK)
    signer = SM2PrivateKey.from_int(0xC0FFEE)
    e = signer.public_key.digest_for(b"payload")
    sig, status = run(opened, "002A9E9A20" + e.hex() + "00")
    assert status == SW.OK and signer.public_key.verify(sig, b"payload")
    assert run(opened, "002A9E9A1F" + e[:31].hex())[1] == SW.WRONG_LENGTH
    assert run(opened, "002A0000020000")[1] == SW.WRONG_P1P2


def test_sign_needs_pin(psam):
    run(psam, "00A4000002DF01")
    assert run(psam, "002A9E9A20" + "11" * 32)[1] == SW.SECURITY_STATUS


def test_psam_pin_blocks(psam):
    run(psam, "00A40000023F00")
    statuses = [run(psam, "0020000003000000")[1] for _ in range(4)]
    assert statuses == [0x63C2, 0x63C1, 0x63C0, SW.AUTH_BLOCKED]
    assert run(psam, "0020000003123456")[1] == SW.AUTH_BLOCKED


def test_sign_key_never_readable(opened):
    run(opened, "00A4000002EF0F")
    assert run(opened, "00B0000020")[1] == SW.SECURITY_STATUS
    run(opened, "00A4000002EF01")
    data, status = run(opened, "00B0000000")
    assert status == SW.OK and data.rstrip(b"\x00") == b"MA0000000X0010001"
