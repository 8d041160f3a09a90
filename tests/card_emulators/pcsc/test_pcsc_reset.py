"""A card reset by another PC/SC client (SCARD_W_RESET_CARD, "Card was reset") through a REAL pcscd:
PcscTransport reconnects once without resetting again, re-sends the command and says so in its
transcript (the bench_pcsc full-read failure). The reset is made the way it happens in the field:
a second client connects to the same card and resets it."""

from __future__ import annotations

import pytest

from card_emulators.transports.pcsc import RESET_EVENT, PcscTransport
from ehc.errors import EhcError

SELECT_DDF1 = bytes.fromhex("00A4000002DDF1")
SELECT_EF05 = bytes.fromhex("00A4000002EF05")
READ_ITEM_57 = bytes.fromhex("00B2390005")


def reset_by_another_client(reader: str) -> None:
    """A second PC/SC client shares the card, then reconnects with SCARD_RESET_CARD (a warm reset)."""
    from smartcard.scard import SCARD_LEAVE_CARD, SCARD_RESET_CARD, SCARD_SHARE_SHARED
    from smartcard.System import readers

    other = next(r for r in readers() if str(r) == reader).createConnection()
    try:
        other.connect()
        other.reconnect(mode=SCARD_SHARE_SHARED, disposition=SCARD_RESET_CARD)
        other.component.disposition = SCARD_LEAVE_CARD  # leave the card as the reset left it
        other.disconnect()
    finally:
        other.component.release()


def test_reset_by_another_client_is_reconnected_and_the_command_resent(emulated_pair) -> None:
    with PcscTransport(emulated_pair.card_reader) as card:
        assert card.transmit(SELECT_DDF1)[-2:] == b"\x90\x00"
        reset_by_another_client(emulated_pair.card_reader)
        # the reset forgot the selected DDF1: MF is current again, so select DDF1 then EF05 anew
        resent = card.transmit(SELECT_DDF1)
        assert resent[-2:] == b"\x90\x00"
        assert card.resets_recovered == 1
        events = [e for e in card.transcript if e.event]
        assert [(e.command, e.event, e.response) for e in events] == [(SELECT_DDF1, RESET_EVENT, b"")]
        # the re-sent command follows the event in the transcript, answered by the card (61xx:
        # its FCI is then fetched with GET RESPONSE, or 9000 with the FCI at once)
        after = card.transcript[card.transcript.index(events[0]) + 1]
        assert after.command == SELECT_DDF1 and not after.automatic
        assert after.response[-2] == 0x61 or after.response == resent
        assert card.transmit(SELECT_EF05)[-2:] == b"\x90\x00"
        item = card.transmit(READ_ITEM_57)
        assert item[-2:] == b"\x90\x00" and item[2:5] == emulated_pair.card.item_raw(0xDDF1, 0xEF05, 57)
        assert card.atr == emulated_pair.card.getATR()
    # the card itself saw the reset (lower-tester view)
    kinds = [e.kind for e in emulated_pair.card_client.transcript]
    assert "reset" in kinds, kinds


def test_without_reconnect_the_reset_is_reported(emulated_pair) -> None:
    # proves the harness really produces SCARD_W_RESET_CARD (so the test above is not vacuous)
    with PcscTransport(emulated_pair.card_reader, reconnect_on_reset=False) as card:
        assert card.transmit(SELECT_DDF1)[-2:] == b"\x90\x00"
        reset_by_another_client(emulated_pair.card_reader)
        with pytest.raises(EhcError) as err:
            card.transmit(SELECT_DDF1)
        assert err.value.code.name == "PCSC_TRANSMIT_FAILED"
        assert "reset" in err.value.message.lower()
        assert card.resets_recovered == 0
