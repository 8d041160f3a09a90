"""Power loss at every byte of the write commands the card engineer's tests do not tear yet:
secure-messaging UPDATE RECORD (04 DC) and UPDATE BINARY (04 D6), CHANGE REFERENCE DATA (PIN
change), RESET RETRY COUNTER (PUK unblock), VERIFY with a wrong PIN (user card and PSAM).
(tests/card_emulators/test_card_tearing.py covers plain UPDATE RECORD / BINARY, cyclic append and
the EXTERNAL AUTHENTICATE counter.) After each tear the card powers up again and must hold the
old or the new value, never a mix, and a spent try must stay spent."""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "fuzz"))
import _cards  # noqa: E402 - TEST-ONLY cards shared with the fuzz harnesses

from card_emulators.engine import scheme  # noqa: E402
from card_emulators.errors import CardPowerLost  # noqa: E402
from card_emulators.personalities.health_layout import KEYS  # noqa: E402

Observe = Callable[[object], object]


def _programmed(card, apdu: bytes) -> tuple[int, bytes]:  # noqa: ANN001
    probe = copy.deepcopy(card)
    before = probe.nvm.bytes_written
    resp = probe.execute(apdu)
    return probe.nvm.bytes_written - before, resp[-2:]


def tear_at_every_byte(card, apdu: bytes, observe: Observe, expect_sw: bytes, step: int = 1) -> list[object]:  # noqa: ANN001
    """Tear ``apdu`` after k = 0..total bytes; return the observed state after each recovery."""
    total, sw = _programmed(card, apdu)
    assert sw == expect_sw, sw.hex()
    assert total > 0, "the command programs no byte: nothing to tear"
    old = observe(card)
    states = []
    for k in [*range(0, total, step), total]:
        victim = copy.deepcopy(card)
        victim.faults.power_loss_after(k)
        try:
            victim.execute(apdu)
            assert k >= total, f"command completed although power was cut after {k} of {total} bytes"
        except CardPowerLost:
            assert k < total
        victim.powerUp()
        states.append(observe(victim))
    assert states[0] == old, "a tear before the first byte changed the card"
    return states


def _switches_once(states: list[object], old: object, new: object) -> None:
    assert all(s in (old, new) for s in states), [s for s in states if s not in (old, new)][:1]
    first_new = states.index(new)
    assert all(s == new for s in states[first_new:]), "the new value was lost by a later tear point"


def _city(card) -> bytes:  # noqa: ANN001
    return card.item_raw(0xDDF1, 0xEF05, 57)[:2] + b"000000"


def _sm_apdu(card, stk: str, header: bytes, plain: bytes) -> bytes:  # noqa: ANN001
    challenge = card.execute(bytes.fromhex("0084000008"))[:-2]
    spec = next(s for s in KEYS if s.label == stk)
    session = scheme.diversify(_cards.keys().card_key(spec, card.card_number, _city(card)), challenge)
    body = scheme.sm_wrap(session, header, plain)
    return header + bytes([len(body)]) + body


def test_secure_messaging_update_record_torn_at_every_byte():
    card = _cards.fresh("card_ddf1_auth")
    card.execute(bytes.fromhex("00A4000002EF05"))
    region = card.node(0xDDF1, 0xEF05).region
    old_record = card.execute(bytes.fromhex("00B2010400"))[:-2]
    new_record = bytes([old_record[0], old_record[1]]) + b"9" * (len(old_record) - 2)
    apdu = _sm_apdu(card, "STK_DDF1", bytes.fromhex("04DC0104"), new_record)
    observe = lambda c: c.nvm.read(region)  # noqa: E731
    old = observe(card)
    probe = copy.deepcopy(card)
    assert probe.execute(apdu)[-2:] == b"\x90\x00"
    states = tear_at_every_byte(card, apdu, observe, b"\x90\x00")
    _switches_once(states, old, observe(probe))


def test_secure_messaging_update_binary_torn_at_every_second_byte():
    card = _cards.fresh("card_df03_auth")
    card.execute(bytes.fromhex("00A4000002ED02"))
    region = card.node(0xDDF1, 0xDF03, 0xED02).region
    apdu = _sm_apdu(card, "STK_DF03", bytes.fromhex("04D60020"), bytes(range(1, 161)))
    observe = lambda c: c.nvm.read(region, 0x20, 160)  # noqa: E731
    old = observe(card)
    states = tear_at_every_byte(card, apdu, observe, b"\x90\x00", step=2)
    _switches_once(states, old, bytes(range(1, 161)))


def _pin_view(card) -> tuple[int, bytes, int, bytes]:  # noqa: ANN001
    r = card.nvm.read(card.mf.pins[0x00].region)
    return r[0], r[2:8], r[8], r[10:18]


def test_pin_change_torn_at_every_byte_keeps_old_or_new_pin():
    card = _cards.fresh("card")
    old = _pin_view(card)
    apdu = bytes.fromhex("0024000007123456FF654321")
    states = tear_at_every_byte(card, apdu, _pin_view, b"\x90\x00")
    new_block = bytes.fromhex("654321FFFFFF")
    for tries, pin, puk_tries, puk in states:
        assert pin in (old[1], new_block), pin.hex()
        assert (puk, puk_tries) == (old[3], old[2]), "a PIN change touched the PUK"
        assert tries in (old[0], old[0] - 1), tries
        if pin == new_block:
            assert tries == old[0], "new PIN written but the spent try not restored"
    assert states[-1][1] == new_block


def test_puk_unblock_torn_at_every_byte_never_loses_a_spent_puk_try():
    card = _cards.fresh("card")
    for _ in range(3):
        card.execute(bytes.fromhex("0020000003000000"))
    assert card.execute(bytes.fromhex("0020000000"))[-2:] == b"\x69\x83"  # blocked
    old = _pin_view(card)
    apdu = bytes.fromhex("002C00000812345678FF111111")
    states = tear_at_every_byte(card, apdu, _pin_view, b"\x90\x00")
    new_block = bytes.fromhex("111111FFFFFF")
    for tries, pin, puk_tries, _ in states:
        assert (pin, tries) in ((old[1], 0), (new_block, 3)), (pin.hex(), tries)
        assert puk_tries in (old[2], old[2] - 1)
    assert states[-1][:2] == (3, new_block)


@pytest.mark.parametrize("which", ["card", "psam"])
def test_wrong_pin_torn_at_every_byte_still_costs_a_try(which):
    card = _cards.fresh(which)
    old = _pin_view(card)
    apdu = bytes.fromhex("0020000003999999")
    states = tear_at_every_byte(card, apdu, _pin_view, b"\x63\xc2")
    assert all(s[1:] == old[1:] for s in states), "a wrong PIN attempt changed the PIN or PUK"
    tries = [s[0] for s in states]
    assert set(tries) <= {old[0], old[0] - 1}
    first = tries.index(old[0] - 1)
    assert all(t == old[0] - 1 for t in tries[first:]), "a tear gave a spent try back"


def test_successful_external_authenticate_torn_at_every_byte_keeps_a_sane_counter():
    """Decrement, compare, restore: a tear anywhere leaves max or max-1 tries, never garbage."""
    from card_emulators import flows

    card = _cards.fresh("card")
    psam = _cards.fresh("psam_open")
    flows.select(card.transmit, 0xDDF1)
    key = card.node(0xDDF1).keys[0x04]
    challenge = card.execute(bytes.fromhex("0084000008"))[:-2]
    spec = next(s for s in KEYS if s.label == "RK_DDF1")
    flows._session(psam.transmit, spec, card.card_number, _city(card), challenge)
    t = bytes(range(8))
    block = flows.send(psam.transmit, bytes([0x80, 0xFA, 0x00, 0x00, 0x10]) + t + bytes(8), "CIPHER")
    apdu = bytes([0x00, 0x82, 0x00, 0x04, 0x11]) + scheme.fold(block) + t + b"\x01"
    before = card.nvm.regions[key.region][0]
    states = tear_at_every_byte(card, apdu, lambda c: c.nvm.regions[key.region][0], b"\x90\x00")
    assert set(states) <= {before, before - 1} and states[-1] == before


# Every command that programs non-volatile memory, and the test that tears it at every byte.
TORN_BY = {
    0xD6: "test_update_binary_torn_at_every_fourth_byte (card engineer) + SM variant here",
    0xDC: "test_update_record_torn_at_every_byte / cyclic append (card engineer) + SM variant here",
    0x24: "test_pin_change_torn_at_every_byte_keeps_old_or_new_pin",
    0x2C: "test_puk_unblock_torn_at_every_byte_never_loses_a_spent_puk_try",
    0x20: "test_wrong_pin_torn_at_every_byte_still_costs_a_try",
    0x82: "test_successful_external_authenticate_torn_at_every_byte_keeps_a_sane_counter",
}


def test_every_nvm_writing_command_is_torn_somewhere():
    """Send a representative command of every INS both cards implement, from several states (file
    selected, challenge pending), and record which ones program memory: each must be in TORN_BY,
    so a new write command cannot slip in without a tearing test."""
    prefixes = (
        b"",
        bytes.fromhex("00A4000002EF06"),
        bytes.fromhex("00A4000002ED02"),
        bytes.fromhex("0084000008"),
    )
    bodies = (
        b"",
        bytes(8),
        bytes.fromhex("123456"),
        bytes.fromhex("123456FF654321"),
        bytes(16) + b"\x01",  # EXTERNAL AUTHENTICATE: wrong cryptogram, right format
        bytes([0x0B, 30]) + bytes(30),
    )
    writers = set()
    for name in ("card_ddf1_auth", "card_df03_auth", "psam_open", "card", "psam"):
        template = _cards.fresh(name)
        for prefix in prefixes:
            for ins in sorted(template.handlers):
                for body in bodies:
                    card = copy.deepcopy(template)
                    if prefix:
                        card.execute(prefix)
                    before = card.nvm.bytes_written
                    cla = 0x80 if ins in (0xDE, 0xFA) else 0x00
                    p1p2 = {0xDC: b"\x01\x04", 0x82: b"\x00\x04"}.get(ins, b"\x00\x00")
                    card.execute(bytes([cla, ins]) + p1p2 + (bytes([len(body)]) + body if body else b""))
                    if card.nvm.bytes_written > before:
                        writers.add(ins)
    assert {0x20, 0x24, 0x2C, 0x82, 0xD6, 0xDC} <= writers, f"the probe missed writers: {sorted(writers)}"
    assert writers <= set(TORN_BY), {f"{ins:02X}" for ins in writers - set(TORN_BY)}
