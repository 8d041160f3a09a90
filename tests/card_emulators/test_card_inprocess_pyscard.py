"""Unmodified pyscard code over the in-process EmulatedCardConnection."""

from __future__ import annotations

import pytest
from smartcard.CardConnection import CardConnection
from smartcard.CardConnectionObserver import CardConnectionObserver
from smartcard.Exceptions import CardConnectionException, NoCardException
from smartcard.sw.ErrorCheckingChain import ErrorCheckingChain
from smartcard.sw.ISO7816_4ErrorChecker import ISO7816_4ErrorChecker
from smartcard.sw.SWExceptions import CheckingErrorException
from smartcard.util import toBytes, toHexString

from card_emulators import flows
from card_emulators.transports.inprocess import EmulatedCardConnection, EmulatedReader, connect


def _bytes_transmit(conn):
    def transmit(apdu: bytes) -> bytes:
        data, sw1, sw2 = conn.transmit(list(apdu))
        return bytes(data) + bytes([sw1, sw2])

    return transmit


def test_is_a_pyscard_connection(card):
    conn = connect(card)
    assert isinstance(conn, CardConnection)
    assert toHexString(conn.getATR()) == "3B 6C 00 00 57 10 01 20 01 00 00 00 42 48 43 01"
    data, sw1, sw2 = conn.transmit(toBytes("00 A4 00 00 02 DD F1"))
    assert (data, sw1, sw2) == ([], 0x61, 0x06)
    data, sw1, sw2 = conn.transmit(toBytes("00 C0 00 00 06"))
    assert toHexString(data) == "6F 04 83 02 DD F1" and (sw1, sw2) == (0x90, 0x00)


def test_pyscard_error_checker_and_observer(card):
    conn = connect(card)
    seen = []

    class Recorder(CardConnectionObserver):
        def update(self, observable, event):
            seen.append((event.type, event.args))

    conn.addObserver(Recorder())
    chain = [ErrorCheckingChain([], ISO7816_4ErrorChecker())]
    conn.setErrorCheckingChain(chain)
    conn.transmit(toBytes("00 A4 08 00 04 DD F1 EF 06"))
    with pytest.raises(CheckingErrorException, match="Security status"):
        conn.transmit(toBytes("00 B2 01 04 00"))  # 6982 before authentication
    with pytest.raises(CheckingErrorException):
        conn.transmit(toBytes("00 A4 00 00 02 12 34"))  # 6A82
    assert [t for t, _ in seen][:2] == ["command", "response"]


def test_reference_flow_over_pyscard_connections(card, psam):
    card_conn, psam_conn = connect(card, "card reader"), connect(psam, "PSAM slot")
    c, p = _bytes_transmit(card_conn), _bytes_transmit(psam_conn)
    flows.open_psam(p)
    city = flows.read_city_diversifier(c)
    card_number = flows.card_number_from_atr(bytes(card_conn.getATR()))
    flows.select(c, 0xDDF1)
    flows.authenticate_read_key(c, p, card_number, city)
    flows.select(c, 0xEF06)
    name = flows.send(c, bytes(toBytes("00 B2 01 04 00")), "READ name")
    assert name[2:8].decode("gb2312") == "张三丰"


def test_removal_and_reinsertion(card):
    reader = EmulatedReader("slot 1", card)
    conn = reader.createConnection()
    conn.connect()
    card.faults.remove_card()
    with pytest.raises(CardConnectionException):
        conn.transmit(toBytes("00 A4 00 00 02 3F 00"))
    with pytest.raises(NoCardException):
        conn.connect()
    reader.insert(card)
    conn.connect()
    assert conn.transmit(toBytes("00 A4 00 00 02 3F 00"))[1] == 0x61


def test_power_loss_surfaces_as_connection_error(card):
    conn = EmulatedCardConnection(card)
    conn.connect()
    card.faults.power_loss_after(0, ins=0x20)
    with pytest.raises(CardConnectionException):
        conn.transmit(toBytes("00 20 00 00 03 00 00 00"))
    conn.reconnect()
    assert conn.transmit(toBytes("00 20 00 00 00"))[1:] == (0x63, 0xC3)


def test_disconnect_powers_down(card):
    conn = connect(card)
    conn.disconnect()
    assert not card.powered
    with pytest.raises(CardConnectionException):
        conn.transmit(toBytes("00 A4 00 00 02 3F 00"))
