"""Card-reset recovery of PcscTransport with a scripted pyscard connection, for the cases a real
pcscd cannot be made to produce on demand (a second reset at once, a failed reconnect). The real
path is tested in pcsc/test_pcsc_reset.py."""

from __future__ import annotations

import pytest
from smartcard.Exceptions import CardConnectionException, NoCardException
from smartcard.scard import SCARD_LEAVE_CARD, SCARD_UNPOWER_CARD, SCARD_W_REMOVED_CARD, SCARD_W_RESET_CARD

from card_emulators.transports.pcsc import RESET_EVENT, PcscTransport
from ehc.errors import EhcError

SELECT = bytes.fromhex("00A40000023F00")


class ScriptedConnection:
    """transmit raises the scripted errors in order, then answers 9000; reconnect is recorded."""

    def __init__(self, errors: list[BaseException], reconnect_error: BaseException | None = None) -> None:
        self.errors = list(errors)
        self.reconnect_error = reconnect_error
        self.reconnects: list[dict] = []
        self.disposition = SCARD_UNPOWER_CARD
        self.sent: list[bytes] = []

    def getReader(self) -> str:  # noqa: N802
        return "Scripted Reader 0"

    def getATR(self) -> list[int]:  # noqa: N802
        return [0x3B, 0x00]

    def transmit(self, apdu: list[int]):
        self.sent.append(bytes(apdu))
        if self.errors:
            raise self.errors.pop(0)
        return [], 0x90, 0x00

    def reconnect(self, protocol=None, mode=None, disposition=None) -> None:
        self.reconnects.append({"disposition": disposition})
        self.disposition = disposition  # like pyscard: kept for the next disconnect
        if self.reconnect_error is not None:
            raise self.reconnect_error

    def disconnect(self) -> None:
        pass


def reset_error() -> CardConnectionException:
    return CardConnectionException("Failed to transmit. Card was reset.", hresult=SCARD_W_RESET_CARD)


def test_one_reset_is_recovered_once_and_recorded() -> None:
    conn = ScriptedConnection([reset_error()])
    transport = PcscTransport.from_connection(conn)
    assert transport.transmit(SELECT) == b"\x90\x00"
    assert conn.sent == [SELECT, SELECT]
    assert conn.reconnects == [{"disposition": SCARD_LEAVE_CARD}]  # no second reset of the card
    assert conn.disposition == SCARD_UNPOWER_CARD  # the caller's disconnect disposition is kept
    assert [(e.event, e.response) for e in transport.transcript] == [(RESET_EVENT, b""), ("", b"\x90\x00")]
    assert transport.resets_recovered == 1


def test_a_second_reset_in_a_row_is_reported_not_looped() -> None:
    conn = ScriptedConnection([reset_error(), reset_error()])
    transport = PcscTransport.from_connection(conn)
    with pytest.raises(EhcError) as err:
        transport.transmit(SELECT)
    assert err.value.code.name == "PCSC_TRANSMIT_FAILED" and "after reconnecting" in err.value.message
    assert len(conn.reconnects) == 1 and len(conn.sent) == 2


def test_a_failed_reconnect_is_no_card() -> None:
    conn = ScriptedConnection(
        [reset_error()], reconnect_error=NoCardException("gone", hresult=SCARD_W_REMOVED_CARD)
    )
    transport = PcscTransport.from_connection(conn)
    with pytest.raises(EhcError) as err:
        transport.transmit(SELECT)
    assert err.value.code.name == "PCSC_NO_CARD"
    assert conn.disposition == SCARD_UNPOWER_CARD


def test_other_transmit_errors_do_not_reconnect() -> None:
    conn = ScriptedConnection([CardConnectionException("Card was removed", hresult=SCARD_W_REMOVED_CARD)])
    transport = PcscTransport.from_connection(conn)
    with pytest.raises(EhcError) as err:
        transport.transmit(SELECT)
    assert err.value.code.name == "PCSC_TRANSMIT_FAILED"
    assert conn.reconnects == [] and transport.resets_recovered == 0


def test_recovery_can_be_turned_off() -> None:
    conn = ScriptedConnection([reset_error()])
    transport = PcscTransport.from_connection(conn, reconnect_on_reset=False)
    with pytest.raises(EhcError):
        transport.transmit(SELECT)
    assert conn.reconnects == []
