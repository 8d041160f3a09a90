"""Anti-tearing: power lost after ANY byte of an update leaves the old or the new content."""

from __future__ import annotations

import copy

import pytest
from ce_helpers import hx, run

from card_emulators import flows
from card_emulators.errors import CardPowerLost
from card_emulators.personalise import load_card


def _city(card):
    return card.item_raw(0xDDF1, 0xEF05, 57)[:2] + b"000000"


def _ready_for_update(card, psam, df_path: str, key: str, ef: str):
    flows.open_psam(psam.transmit)
    run(card, "00A4000002DDF1")
    if df_path:
        run(card, f"00A4000002{df_path}")
    flows.authenticate(card.transmit, psam.transmit, card.card_number, _city(card), key)
    run(card, f"00A4000002{ef}")


def _bytes_programmed(card, apdu: bytes) -> int:
    probe = copy.deepcopy(card)
    before = probe.nvm.bytes_written
    assert probe.execute(apdu)[-2:] == hx("9000")
    return probe.nvm.bytes_written - before


def _tear_everywhere(card, apdu: bytes, region: str, offset: int, size: int, old: bytes, new: bytes):
    total = _bytes_programmed(card, apdu)
    assert total > 2 * size  # journal + data + flags
    outcomes = []
    for k in range(total + 1):
        victim = copy.deepcopy(card)
        victim.faults.power_loss_after(k)
        try:
            resp = victim.execute(apdu)
            torn = False
        except CardPowerLost:
            torn = True
        assert torn == (k < total), k
        if not torn:
            assert resp[-2:] == hx("9000")
        victim.powerUp()
        content = victim.nvm.read(region, offset, size)
        assert content in (old, new), f"mixed content after a tear at byte {k}"
        outcomes.append(content == new)
    assert outcomes[0] is False and outcomes[-1] is True
    # once the commit flag is set the new content wins: the outcome switches exactly once
    switch = outcomes.index(True)
    assert all(outcomes[switch:]) and not any(outcomes[:switch])


def test_update_record_torn_at_every_byte(card, psam):
    _ready_for_update(card, psam, "", "UK_DDF1", "EF06")
    ef = card.node(0xDDF1, 0xEF06)
    offset, size = 0, 32
    old = card.nvm.read(ef.region, offset, size)
    new = hx("0B1E") + "李四".encode("gb2312").ljust(30, b"\x00")
    _tear_everywhere(card, hx("00DC010420") + new, ef.region, offset, size, old, new)


def test_cyclic_append_torn_at_every_byte_keeps_record_and_pointer_consistent(card, psam):
    _ready_for_update(card, psam, "DF02", "UK_DF02_3", "EF07")
    ef = card.node(0xDDF1, 0xDF02, 0xEF07)
    rec = b"PENICILLIN".ljust(20, b"\x00") + "皮疹".encode("gb2312").ljust(100, b"\x00")
    apdu = hx("00DC000378") + rec
    total = _bytes_programmed(card, apdu)
    for k in range(total + 1):
        victim = copy.deepcopy(card)
        victim.faults.power_loss_after(k)
        with pytest.raises(CardPowerLost) if k < total else _nothing():
            victim.execute(apdu)
        victim.powerUp()
        ptr = victim.nvm.read(ef.region + "#ptr")
        body = victim.nvm.read(ef.region, 0, 120)
        assert (ptr, body) in ((hx("0000"), b"\xff" * 120), (hx("0001"), rec)), k


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_update_binary_torn_at_every_byte(card, psam):
    _ready_for_update(card, psam, "DF03", "UK_DF03_2", "ED05")
    ef = card.node(0xDDF1, 0xDF03, 0xED05)
    new = bytes(range(200))
    old = card.nvm.read(ef.region, 100, 200)
    total = _bytes_programmed(card, hx("00D60064C8") + new)
    for k in range(total + 1):
        victim = copy.deepcopy(card)
        victim.faults.power_loss_after(k)
        try:
            victim.execute(hx("00D60064C8") + new)
        except CardPowerLost:
            pass
        victim.powerUp()
        assert victim.nvm.read(ef.region, 100, 200) in (old, new), k


def test_torn_card_saved_and_loaded_recovers(card, psam, tmp_path):
    """A card pulled mid-commit and stored as an image finishes the write at its next power-up."""
    _ready_for_update(card, psam, "", "UK_DDF1", "EF06")
    ef = card.node(0xDDF1, 0xEF06)
    new = hx("0B1E") + b"WANG WU".ljust(30, b"\x00")
    apdu = hx("00DC010420") + new
    total = _bytes_programmed(card, apdu)
    card.faults.power_loss_after(total - 30)  # 3 bytes into the copy step: journal committed
    with pytest.raises(CardPowerLost):
        card.execute(apdu)
    assert card.nvm.commit_flag == 1
    assert card.nvm.read(ef.region, 0, 32) != new
    card.save(tmp_path / "torn.json")
    restored = load_card(tmp_path / "torn.json")
    restored.powerUp()
    assert restored.nvm.read(ef.region, 0, 32) == new
    assert restored.nvm.commit_flag == 0


def test_failed_authentication_is_counted_even_if_power_is_cut(card, psam):
    """Decrement-before-compare: tearing right after the counter write still costs a try."""
    run(card, "00A4000002DDF1")
    run(card, "0084000008")
    key = card.node(0xDDF1).keys[0x04]
    card.faults.power_loss_after(9)  # journal (7) + flag (1) + counter byte (1) written, then the cut
    with pytest.raises(CardPowerLost):
        card.execute(hx("0082000411") + bytes(16) + b"\x01")
    card.powerUp()
    assert card.nvm.regions[key.region][0] == 2
