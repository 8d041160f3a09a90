"""Card attacks beyond tests/card_emulators/test_card_security.py (which covers the read-key retry
counter, PIN/PUK blocking and one bad MAC): blocking survives a card image round trip, update keys
of every DF count and block too, and no forged secure-messaging body is ever accepted or written."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "fuzz"))
import _cards  # noqa: E402

from card_emulators import flows  # noqa: E402
from card_emulators.errors import CardFlowError  # noqa: E402
from card_emulators.personalise import CardKeys, load_card, new_psam  # noqa: E402


def _sw(resp: bytes) -> int:
    return (resp[-2] << 8) | resp[-1]


def test_blocked_pin_stays_blocked_through_a_saved_card_image(tmp_path):
    card = _cards.fresh("card")
    for _ in range(3):
        card.execute(bytes.fromhex("0020000003000000"))
    card.save(tmp_path / "blocked.json")
    again = load_card(tmp_path / "blocked.json")
    again.powerUp()
    assert _sw(again.execute(bytes.fromhex("0020000003123456"))) == 0x6983


@pytest.mark.parametrize("df,key", [(None, "UK_DDF1"), (0xDF01, "UK_DF01"), (0xDF03, "UK_DF03_2")])
def test_wrong_update_key_counts_down_and_blocks(df, key):
    card = _cards.fresh("card")
    wrong = new_psam(CardKeys.test_only("an attacker's keys"))
    wrong.powerUp()
    flows.open_psam(wrong.transmit)
    flows.select(card.transmit, 0xDDF1)
    if df is not None:
        flows.select(card.transmit, df)
    city = card.item_raw(0xDDF1, 0xEF05, 57)[:2] + b"000000"
    seen = []
    for _ in range(4):
        with pytest.raises(CardFlowError) as err:
            flows.authenticate(card.transmit, wrong.transmit, card.card_number, city, key)
        seen.append(err.value.sw)
    assert seen[:3] == [0x63C2, 0x63C1, 0x63C0] and seen[3] == 0x6983, [hex(s) for s in seen]


@settings(max_examples=200, database=None)
@given(body=st.binary(min_size=20, max_size=120))
def test_forged_secure_messaging_is_never_accepted_or_written(body):
    state = _cards.Reusable("card_ddf1_auth")
    card = state.restore()
    card.execute(bytes.fromhex("00A4000002EF05"))
    card.execute(bytes.fromhex("0084000008"))
    written = card.nvm.bytes_written
    resp = card.execute(bytes([0x04, 0xDC, 0x01, 0x04, len(body)]) + body)
    assert _sw(resp) != 0x9000
    assert card.nvm.bytes_written == written, "a refused SM command programmed memory"
