"""External/internal authentication, retry counters and blocking, PIN, secure messaging, state rules."""

from __future__ import annotations

import pytest
from ce_helpers import hx, run

from card_emulators import flows
from card_emulators.engine import SW, scheme
from card_emulators.errors import CardFlowError
from card_emulators.personalise import CardKeys, new_psam


def _city(card):
    return card.item_raw(0xDDF1, 0xEF05, 57)[:2] + b"000000"


def _auth(card, psam, key="RK_DDF1", **kw):
    flows.authenticate(card.transmit, psam.transmit, card.card_number, _city(card), key, **kw)


@pytest.fixture
def open_psam(psam):
    flows.open_psam(psam.transmit)
    return psam


def test_ef06_refused_before_auth_and_readable_after(card, open_psam):
    run(card, "00A4000002DDF1")
    run(card, "00A4000002EF06")
    assert run(card, "00B2010400")[1] == SW.SECURITY_STATUS
    _auth(card, open_psam)
    data, status = run(card, "00B2010400")
    assert status == SW.OK and data[:2] == hx("0B1E")
    assert data[2:8].decode("gb2312") == "张三丰"


def test_cryptogram_matches_the_reference_computation(card, keys):
    """The card accepts exactly the cryptogram defined in the scheme (no PSAM involved)."""
    run(card, "00A4000002DDF1")
    r, _ = run(card, "0084000008")
    from card_emulators.personalities.health_layout import KEYS

    spec = next(s for s in KEYS if s.label == "RK_DDF1")
    card_key = keys.card_key(spec, card.card_number, _city(card))
    t = hx("0102030405060708")
    crypt = scheme.auth_cryptogram(card_key, r, t)
    assert run(card, "0082000411" + crypt.hex() + t.hex() + "01") == (b"", SW.OK)


def test_wrong_key_counts_down_then_blocks(card, keys):
    wrong = new_psam(CardKeys.test_only("another issuer"))
    wrong.powerUp()
    flows.open_psam(wrong.transmit)
    run(card, "00A4000002DDF1")
    seen = []
    for _ in range(4):
        with pytest.raises(CardFlowError) as err:
            _auth(card, wrong)
        seen.append(err.value.sw)
    assert seen == [0x63C2, 0x63C1, 0x63C0, SW.AUTH_BLOCKED]
    right = new_psam(keys)
    right.powerUp()
    flows.open_psam(right.transmit)
    with pytest.raises(CardFlowError) as err:
        _auth(card, right)
    assert err.value.sw == SW.AUTH_BLOCKED  # the key stays blocked for the right key too
    card.reset()
    run(card, "00A4000002DDF1")
    with pytest.raises(CardFlowError):
        _auth(card, right)  # blocking survives a reset (counter is in NVM)


def test_success_restores_the_counter(card, open_psam, keys):
    wrong = new_psam(CardKeys.test_only("x"))
    wrong.powerUp()
    flows.open_psam(wrong.transmit)
    run(card, "00A4000002DDF1")
    for _ in range(2):
        with pytest.raises(CardFlowError):
            _auth(card, wrong)
    _auth(card, open_psam)
    with pytest.raises(CardFlowError) as err:
        _auth(card, wrong)
    assert err.value.sw == 0x63C2


def test_external_authenticate_format_and_challenge_rules(card):
    run(card, "00A4000002DDF1")
    zero = "00" * 16
    assert run(card, f"0082000411{zero}01")[1] == SW.CONDITIONS  # no challenge yet
    run(card, "0084000008")
    assert run(card, f"0082000410{zero}")[1] == SW.WRONG_LENGTH
    assert run(card, f"0082000411{zero}02")[1] == SW.WRONG_DATA
    assert run(card, f"0082010411{zero}01")[1] == SW.WRONG_P1P2
    assert run(card, f"0082007711{zero}01")[1] == SW.REF_DATA_NOT_FOUND
    assert run(card, f"0082000911{zero}01")[1] == SW.REF_DATA_NOT_FOUND  # internal key, not external
    assert run(card, f"0082000411{zero}01")[1] == 0x63C2
    assert run(card, f"0082000411{zero}01")[1] == SW.CONDITIONS  # challenge used up


def test_wrong_terminal_random_fails(card, open_psam):
    run(card, "00A4000002DDF1")
    r, _ = run(card, "0084000008")
    flows._session(open_psam.transmit, flows.KEY_SPECS["RK_DDF1"], card.card_number, _city(card), r)
    t = hx("1111111111111111")
    crypt = scheme.fold(flows._psam_encrypt(open_psam.transmit, t + bytes(8), "enc"))
    assert run(card, f"0082000411{crypt.hex()}{'22' * 8}01")[1] == 0x63C2


def test_get_challenge_rules(card):
    a, s1 = run(card, "0084000008")
    b, s2 = run(card, "0084000008")
    assert (s1, s2) == (SW.OK, SW.OK) and len(a) == len(b) == 8 and a != b
    assert len(run(card, "0084000004")[0]) == 4
    assert run(card, "0084000005")[1] == SW.WRONG_LENGTH
    assert run(card, "0084010008")[1] == SW.WRONG_P1P2


def test_security_state_rules(card, open_psam):
    run(card, "00A4000002DDF1")
    _auth(card, open_psam)
    run(card, "00A4000002DF01")  # child DF: DDF1's credential still holds
    run(card, "00A4000002EF05")
    assert run(card, "00B2010400")[1] == SW.SECURITY_STATUS  # DF01 needs its own RK_DF01
    run(card, "00A4000002DDF1")
    run(card, "00A4000002EF06")
    assert run(card, "00B2010400")[1] == SW.OK  # back in DDF1 without re-authenticating
    run(card, "00A40000023F00")  # leaving DDF1 drops its credential
    run(card, "00A4080004DDF1EF06")
    assert run(card, "00B2010400")[1] == SW.SECURITY_STATUS
    run(card, "00A4000002DDF1")
    _auth(card, open_psam)
    card.reset()
    run(card, "00A4080004DDF1EF06")
    assert run(card, "00B2010400")[1] == SW.SECURITY_STATUS


def test_internal_authenticate(card, open_psam):
    run(card, "00A4000002DDF1")
    assert flows.internal_authenticate(card.transmit, open_psam.transmit, card.card_number, _city(card))
    assert run(card, "0088000907" + "00" * 7)[1] == SW.WRONG_LENGTH
    assert run(card, "0088000408" + "00" * 8)[1] == SW.REF_DATA_NOT_FOUND


def test_secure_messaging_update(card, open_psam):
    run(card, "00A4000002DDF1")
    flows.authenticate_update_key(card.transmit, open_psam.transmit, card.card_number, _city(card))
    run(card, "00A4000002EF05")
    plain = hx("0101") + b"2"
    assert run(card, "00DC010403" + plain.hex())[1] == SW.SM_MISSING  # EF05 requires SM
    flows.secure_update_record(
        card.transmit, open_psam.transmit, card.card_number, _city(card), "STK_DDF1", 1, plain
    )
    assert run(card, "00B2010400") == (plain, SW.OK)


def test_secure_messaging_bad_mac_and_missing_challenge(card, keys):
    run(card, "00A4000002DDF1")
    run(card, "00A4000002EF05")
    body = hx("00" * 20)
    assert run(card, "04DC010414" + body.hex())[1] == SW.CONDITIONS  # no challenge
    r, _ = run(card, "0084000008")
    from card_emulators.personalities.health_layout import KEYS

    spec = next(s for s in KEYS if s.label == "STK_DDF1")
    session = scheme.diversify(keys.card_key(spec, card.card_number, _city(card)), r)
    good = scheme.sm_wrap(session, hx("04DC0104"), hx("010132"))
    bad = good[:-1] + bytes([good[-1] ^ 1])
    assert run(card, f"04DC0104{len(bad):02X}" + bad.hex())[1] == SW.SM_BAD
    run(card, "0084000008")
    assert run(card, f"04DC0104{len(good):02X}" + good.hex())[1] == SW.SM_BAD  # stale session key


def test_flow_fails_when_psam_pin_not_verified(card, psam):
    flows.select(psam.transmit, 0xDF01)
    run(card, "00A4000002DDF1")
    with pytest.raises(CardFlowError) as err:
        _auth(card, psam)
    assert err.value.sw == SW.SECURITY_STATUS and "DELIVER KEY" in err.value.step


class TestPin:
    def test_verify_query_and_counter(self, card):
        assert run(card, "0020000000")[1] == 0x63C3
        assert run(card, "0020000003999999")[1] == 0x63C2
        assert run(card, "0020000000")[1] == 0x63C2
        assert run(card, "0020000003123456")[1] == SW.OK
        assert run(card, "0020000000")[1] == 0x63C3

    def test_blocks_after_three_and_puk_unblocks(self, card):
        for expected in (0x63C2, 0x63C1, 0x63C0, SW.AUTH_BLOCKED):
            assert run(card, "0020000003000000")[1] == expected
        assert run(card, "0020000003123456")[1] == SW.AUTH_BLOCKED
        assert run(card, "002C00000811111111FF654321")[1] == 0x63C9  # wrong PUK
        assert run(card, "002C00000812345678FF654321")[1] == SW.OK
        assert run(card, "0020000003123456")[1] == 0x63C2  # the PIN changed
        assert run(card, "0020000003654321")[1] == SW.OK

    def test_change_pin(self, card):
        assert run(card, "0024000006123456FF9876")[1] == SW.OK
        assert run(card, "0020000002" + "9876")[1] == SW.OK
        assert run(card, "0024000006000000FF9876")[1] == 0x63C2

    def test_pin_format(self, card):
        assert run(card, "00200000021234")[1] == 0x63C2  # well-formed 4-digit PIN, wrong value
        assert run(card, "0020000003ABCDEF")[1] == SW.WRONG_DATA  # not BCD: no try spent
        assert run(card, "002000000112")[1] == SW.WRONG_LENGTH
        assert run(card, "002000000712345678901234")[1] == SW.WRONG_LENGTH
        assert run(card, "0020000000")[1] == 0x63C2
        assert run(card, "0020010003123456")[1] == SW.WRONG_P1P2
        assert run(card, "0020000103123456")[1] == SW.REF_DATA_NOT_FOUND

    def test_puk_blocks_forever(self, card):
        statuses = [run(card, "002C0100041111111F")[1] for _ in range(11)]
        assert statuses == [0x63C0 | n for n in range(9, -1, -1)] + [SW.AUTH_BLOCKED]
        assert run(card, "002C01000412345678")[1] == SW.AUTH_BLOCKED


def test_secure_messaging_update_binary_on_an_encounter_file(card, open_psam, keys):
    """SM is accepted (not required) on other files: UPDATE BINARY 04 D6 with STK_DF03's session."""
    run(card, "00A4080004DDF1DF03")
    flows.authenticate_update_key(
        card.transmit, open_psam.transmit, card.card_number, _city(card), "UK_DF03_1"
    )
    run(card, "00A4000002EE02")
    r, _ = run(card, "0084000008")
    from card_emulators.personalities.health_layout import KEYS

    spec = next(s for s in KEYS if s.label == "STK_DF03")
    session = scheme.diversify(keys.card_key(spec, card.card_number, _city(card)), r)
    body = scheme.sm_wrap(session, hx("04D60010"), b"encrypted write")
    assert run(card, f"04D60010{len(body):02X}" + body.hex()) == (b"", SW.OK)
    flows.authenticate_read_key(card.transmit, open_psam.transmit, card.card_number, _city(card), "RK_DF03")
    run(card, "00A4000002EE02")
    assert run(card, "00B000100F") == (b"encrypted write", SW.OK)


def test_index_files_start_erased(card, open_psam):
    run(card, "00A4080004DDF1DF03")
    flows.authenticate_read_key(card.transmit, open_psam.transmit, card.card_number, _city(card), "RK_DF03")
    run(card, "00A4000002EF05")
    assert run(card, "00B23E0005") == (hx("3E03FFFFFF"), SW.OK)
    run(card, "00A4000002EF06")
    assert run(card, "00B2010400") == (hx("3F05FFFFFFFFFF"), SW.OK)


def test_flow_send_follows_6c_and_61(card):
    run(card, "00A4080004DDF1EF05")
    assert flows.send(card.transmit, hx("00B2390010"), "read 57") == hx("3903370800")  # 6C05 then resend
    assert flows.send(card.transmit, hx("00A4000002DDF1"), "select") == hx("6F048302DDF1")  # 61 06 then C0
    with pytest.raises(CardFlowError) as err:
        flows.send(card.transmit, hx("00A4000002ABCD"), "select missing")
    assert err.value.sw == SW.FILE_NOT_FOUND and err.value.step == "select missing"
