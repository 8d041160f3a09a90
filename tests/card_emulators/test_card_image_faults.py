"""Card images (save/load) and run-time fault injection."""

from __future__ import annotations

import json

import pytest
from ce_helpers import PERSON, hx, run

from card_emulators.engine import SW
from card_emulators.errors import CardNotPowered, CardPowerLost, CardRemoved
from card_emulators.personalise import load_card
from ehc.errors import EhcError


def test_save_load_round_trip_is_exact(card, psam, tmp_path):
    for original, name in ((card, "card.json"), (psam, "psam.json")):
        original.save(tmp_path / name)
        loaded = load_card(tmp_path / name)
        assert type(loaded) is type(original)
        assert loaded.atr == original.atr
        assert loaded.nvm.regions == original.nvm.regions
        assert [n.path_text for n in loaded.mf.walk()] == [n.path_text for n in original.mf.walk()]


def test_image_is_human_readable(card, tmp_path):
    card.save(tmp_path / "card.json")
    img = json.loads((tmp_path / "card.json").read_text(encoding="utf-8"))
    assert img["format"] == "ehc-card-image/1" and "TEST-ONLY" in img["warning"]
    ef06 = next(f for f in img["files"] if f["path"] == "3F00/DDF1/EF06")
    assert ef06["read"] == "auth:04" and ef06["update"] == "auth:05"
    name = ef06["records"][0]
    assert name["item"] == "11 姓名" and name["value"] == PERSON.name and name["hex"].startswith("0B1E")
    ef05 = next(f for f in img["files"] if f["path"] == "3F00/DDF1/EF05")
    assert ef05["update"] == "auth:05+sm:08"


def test_loaded_card_behaves_like_the_original(card, tmp_path):
    run(card, "0020000003000000")  # one wrong PIN: counter 2 is persisted
    card.save(tmp_path / "c.json")
    loaded = load_card(tmp_path / "c.json")
    loaded.powerUp()
    assert run(loaded, "0020000000")[1] == 0x63C2
    run(loaded, "00A4080004DDF1EF05")
    assert run(loaded, "00B2390005")[0] == hx("3903370800")


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        "{}",
        '{"format": "ehc-card-image/1"}',
        '{"format": "ehc-card-image/1", "files": [], "atr": "3B"}',
        "[]",
    ],
)
def test_bad_images_raise_ehc_error(tmp_path, content):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(EhcError) as err:
        load_card(path)
    assert err.value.code.name == "CARD_BAD_IMAGE"


def test_missing_image_file(tmp_path):
    with pytest.raises(EhcError):
        load_card(tmp_path / "nope.json")


def test_force_sw_for_n_commands_then_normal(card):
    card.faults.force_sw(0x6581, count=2)
    assert run(card, "00A40000023F00")[1] == 0x6581
    assert run(card, "00A40000023F00")[1] == 0x6581
    assert run(card, "00A40000023F00")[1] == 0x6106
    assert card.faults.fired == [("force_sw", 0xA4), ("force_sw", 0xA4)]


def test_force_sw_for_one_ins_until_cleared(card):
    card.faults.force_sw(0x6A82, ins=0xA4, count=-1)
    for _ in range(3):
        assert run(card, "00A4000002DDF1")[1] == 0x6A82
    assert run(card, "0084000008")[1] == SW.OK
    card.faults.clear()
    assert run(card, "00A4000002DDF1")[1] == 0x6106


def test_skip_lets_commands_through_first(card):
    card.faults.force_sw(0x6F00, skip=2)
    assert run(card, "0084000008")[1] == SW.OK
    assert run(card, "0084000008")[1] == SW.OK
    assert run(card, "0084000008")[1] == 0x6F00


def test_latency_uses_the_card_clock(card):
    waited = []
    card.clock = waited.append
    card.faults.add_latency(0.25, count=2)
    run(card, "00A40000023F00")
    run(card, "00A40000023F00")
    run(card, "00A40000023F00")
    assert waited == [0.25, 0.25]


def test_card_removal_mid_transaction(card):
    card.faults.remove_card(after=1)
    assert run(card, "00A4000002DDF1")[1] == 0x6106
    with pytest.raises(CardRemoved):
        card.execute(hx("00A4000002EF05"))
    assert not card.powered
    with pytest.raises(CardNotPowered):
        card.execute(hx("00A40000023F00"))
    card.powerUp()
    assert card.current_df is card.mf


def test_power_loss_fault_only_fires_on_a_writing_command(card):
    card.faults.power_loss_after(0, ins=0x20)
    assert run(card, "00A40000023F00")[1] == 0x6106  # other INS untouched
    with pytest.raises(CardPowerLost):
        card.execute(hx("0020000003000000"))  # VERIFY writes the counter first
    card.powerUp()
    assert run(card, "0020000000")[1] == 0x63C3  # nothing was written


def test_bad_fault_configuration():
    from card_emulators.faults import FaultPlan

    plan = FaultPlan()
    for bad in (
        lambda: plan.force_sw(0x10000),
        lambda: plan.power_loss_after(-1),
        lambda: plan.add_latency(-1),
        lambda: plan.force_sw(0x9000, count=0),
        lambda: plan.force_sw(0x9000, ins=300),
    ):
        with pytest.raises(EhcError):
            bad()
