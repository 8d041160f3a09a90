"""The vpcd card client against a scripted driver side (the test plays pcscd's vpcd listener).

The real pcscd path is in tests/card_emulators/pcsc/; here every frame is under the test's control,
so malformed frames, card faults and reconnects can be provoked exactly.
"""

from __future__ import annotations

import socket
import struct
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from card_emulators.errors import CardRemoved
from card_emulators.transports.vpcd import (
    CTRL_GET_ATR,
    CTRL_POWER_OFF,
    CTRL_POWER_ON,
    CTRL_RESET,
    VpcdClient,
    describe_apdu,
)

ATR = bytes.fromhex("3B6D00000081544D4E9101234567890000")


class StubCard:
    """Answers SELECT with 9000 and echoes the data of any other command + 9000; records events."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.raise_on: bytes | None = None
        self.remove_on: bytes | None = None

    def getATR(self) -> bytes:  # noqa: N802
        return ATR

    def powerUp(self) -> None:  # noqa: N802
        self.events.append("on")

    def powerDown(self) -> None:  # noqa: N802
        self.events.append("off")

    def reset(self) -> None:
        self.events.append("reset")

    def execute(self, apdu: bytes) -> bytes:
        if self.raise_on is not None and apdu[:2] == self.raise_on:
            raise RuntimeError("card bug")
        if self.remove_on is not None and apdu[:2] == self.remove_on:
            raise CardRemoved()
        if apdu[1] == 0xA4:
            return b"\x90\x00"
        return apdu[5:] + b"\x90\x00"


class Driver:
    """The listening side of vpcd: accepts the card and exchanges frames."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(1)
        self.server.settimeout(10)
        self.port = self.server.getsockname()[1]
        self.conn: socket.socket | None = None

    def accept(self) -> socket.socket:
        self.conn, _ = self.server.accept()
        self.conn.settimeout(10)
        return self.conn

    def send(self, payload: bytes) -> None:
        assert self.conn is not None
        self.conn.sendall(struct.pack(">H", len(payload)) + payload)

    def send_raw(self, data: bytes) -> None:
        assert self.conn is not None
        self.conn.sendall(data)

    def recv(self) -> bytes:
        assert self.conn is not None
        header = self._exact(2)
        return self._exact(struct.unpack(">H", header)[0])

    def _exact(self, n: int) -> bytes:
        assert self.conn is not None
        buf = b""
        while len(buf) < n:
            chunk = self.conn.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("card closed the connection")
            buf += chunk
        return buf

    def exchange(self, payload: bytes) -> bytes:
        self.send(payload)
        return self.recv()

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.server.close()


@pytest.fixture()
def served():
    driver = Driver()
    card = StubCard()
    client = VpcdClient(card, port=driver.port, reconnect_delay=0.05, name="test").start()
    driver.accept()
    assert client.wait_connected(5)
    yield driver, card, client
    client.stop()
    driver.close()


def test_controls_and_apdu_round_trip(served) -> None:
    driver, card, client = served
    assert driver.exchange(bytes([CTRL_GET_ATR])) == ATR
    for code in (CTRL_POWER_OFF, CTRL_POWER_ON, CTRL_RESET):
        driver.send(bytes([code]))
    # Controls 0/1/2 have no answer: the next answer must be the ATR asked after them.
    assert driver.exchange(bytes([CTRL_GET_ATR])) == ATR
    assert card.events == ["off", "on", "reset"]
    assert driver.exchange(bytes.fromhex("00A4000002DF01")) == b"\x90\x00"
    assert driver.exchange(bytes.fromhex("80CA000003AABBCC")) == bytes.fromhex("AABBCC9000")
    assert client.stats.apdus == 2 and client.stats.controls == 5


def test_socket_options_for_latency(served) -> None:
    _, _, client = served
    sock = client._sock
    assert sock is not None
    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def test_malformed_frames_do_not_kill_the_client(served) -> None:
    driver, card, client = served
    driver.send(b"")  # empty frame
    driver.send(bytes([0x07]))  # unknown control
    card.raise_on = bytes.fromhex("80CA")
    assert driver.exchange(bytes.fromhex("80CA000000")) == b"\x6f\x00"  # card bug -> 6F00
    assert driver.exchange(bytes.fromhex("0084")) in (b"\x90\x00", b"\x6f\x00")  # 2-byte "APDU"
    assert driver.exchange(bytes([CTRL_GET_ATR])) == ATR
    assert client.stats.bad_frames == 2
    assert client.stats.card_errors == 1


def test_truncated_frame_then_reconnect(served) -> None:
    driver, _, client = served
    driver.send_raw(struct.pack(">H", 40) + b"\x00\xa4")  # promises 40 bytes, sends 2, hangs up
    driver.conn.close()
    driver.accept()  # the client comes back by itself
    assert driver.exchange(bytes([CTRL_GET_ATR])) == ATR
    assert client.stats.connects == 2
    assert client.stats.bad_frames == 1


def test_card_removal_drops_the_link_and_reinserts(served) -> None:
    driver, card, client = served
    card.remove_on = bytes.fromhex("00B0")
    driver.send(bytes.fromhex("00B0000010"))
    with pytest.raises(ConnectionError):
        driver.recv()  # pcscd would now see "card removed"
    driver.accept()
    card.remove_on = None
    assert driver.exchange(bytes.fromhex("00A4000002DF01")) == b"\x90\x00"
    assert client.stats.removals == 1


def test_stop_is_clean_and_prompt(served) -> None:
    driver, _, client = served
    client.stop(timeout=3)
    assert client._thread is not None and not client._thread.is_alive()
    assert not client.connected


def test_no_reconnect_mode_raises_when_nobody_listens() -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    client = VpcdClient(StubCard(), port=port, reconnect=False, connect_timeout=0.5)
    from ehc.errors import EhcError

    with pytest.raises(EhcError) as err:
        client.serve_forever()
    assert err.value.code.name == "VPCD_CONNECT_FAILED"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(garbage=st.binary(min_size=0, max_size=300))
def test_any_single_frame_leaves_the_client_serving(served, garbage: bytes) -> None:
    driver, _, client = served
    driver.send(garbage)
    if len(garbage) >= 2 or garbage == bytes([CTRL_GET_ATR]):
        driver.recv()  # APDUs and GET ATR are answered: drain the answer
    assert driver.exchange(bytes([CTRL_GET_ATR])) == ATR
    assert client.stats.connects == 1


@given(data=st.binary(min_size=5, max_size=64))
@settings(max_examples=50)
def test_log_description_never_contains_the_data_field(data: bytes) -> None:
    apdu = bytes.fromhex("00B20000") + data
    text = describe_apdu(apdu)
    assert text.startswith("00B20000")
    if len(data) >= 3:
        assert data.hex().upper() not in text


def test_two_clients_serve_independent_slots() -> None:
    drivers = [Driver(), Driver()]
    cards = [StubCard(), StubCard()]
    clients = [
        VpcdClient(c, port=d.port, name=f"slot{i}").start()
        for i, (c, d) in enumerate(zip(cards, drivers, strict=True))
    ]
    try:
        threads = [threading.Thread(target=d.accept) for d in drivers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(5)
        assert drivers[0].exchange(bytes.fromhex("80CA000001AA")) == bytes.fromhex("AA9000")
        assert drivers[1].exchange(bytes.fromhex("80CA000001BB")) == bytes.fromhex("BB9000")
    finally:
        for c in clients:
            c.stop()
        for d in drivers:
            d.close()


def test_stop_then_start_reinserts_the_card() -> None:
    driver = Driver()
    client = VpcdClient(StubCard(), port=driver.port, name="again").start()
    try:
        driver.accept()
        assert driver.exchange(bytes([CTRL_GET_ATR])) == ATR
        client.stop()
        with pytest.raises(ConnectionError):
            driver.recv()  # the driver sees the card go
        client.start()
        driver.accept()
        assert driver.exchange(bytes([CTRL_GET_ATR])) == ATR
        assert client.stats.connects == 2
    finally:
        client.stop()
        driver.close()


def test_listen_mode_accepts_the_driver_and_its_reconnects() -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    client = VpcdClient(StubCard(), "127.0.0.1", port, listen=True, name="listening").start()
    try:
        for round_ in range(2):  # the driver dials, hangs up, dials again
            deadline = 50
            while True:
                try:
                    conn = socket.create_connection(("127.0.0.1", port), timeout=5)
                    break
                except OSError:
                    deadline -= 1
                    assert deadline, "card never listened"
                    threading.Event().wait(0.05)
            with conn:
                conn.sendall(b"\x00\x01" + bytes([CTRL_GET_ATR]))
                header = conn.recv(2)
                body = b""
                while len(body) < struct.unpack(">H", header)[0]:
                    body += conn.recv(64)
                assert body == ATR
            assert client.stats.connects >= round_ + 1
    finally:
        client.stop()
    assert client._listener is None


def test_transcript_records_what_the_terminal_did() -> None:
    driver = Driver()
    client = VpcdClient(StubCard(), port=driver.port, record=10).start()
    try:
        driver.accept()
        driver.send(bytes([CTRL_POWER_ON]))
        assert driver.exchange(bytes([CTRL_GET_ATR])) == ATR  # pcscd's polls: not recorded
        assert driver.exchange(bytes.fromhex("80CA000001AA")) == bytes.fromhex("AA9000")
        driver.send(bytes([CTRL_RESET]))
        assert driver.exchange(bytes([CTRL_GET_ATR])) == ATR
        kinds = [e.kind for e in client.transcript]
        assert kinds == ["power_on", "apdu", "reset"]
        apdu = client.transcript[1]
        assert apdu.command == bytes.fromhex("80CA000001AA") and apdu.response == bytes.fromhex("AA9000")
        for _ in range(20):
            driver.exchange(bytes.fromhex("80CA000001BB"))
        assert len(client.transcript) == 10  # bounded
    finally:
        client.stop()
        driver.close()
    assert len(VpcdClient(StubCard()).transcript) == 0
