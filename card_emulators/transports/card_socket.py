"""The kit-hosted card socket: an emulated card in a slot the kit owns, reached over TCP.

For terminals that cannot use PC/SC. The card (user card or PSAM) stays in the process that hosts
it, so the host sees every command the terminal sent and every answer the card gave — the evidence
a certification verdict rests on — and applies faults (removal, forced status words) itself.

Framing (both directions): a 2-byte big-endian length N, then N bytes.

* terminal -> card, N = 1: a control byte. ``0x01`` reset (cold reset / power on): answered with
  the ATR. ``0x00`` power off: answered with an empty frame (N = 0).
* terminal -> card, N = 4..65535: a command APDU, answered with the response APDU (data + SW1 SW2).
* card -> terminal, N = 0 (in answer to a reset or an APDU): there is no card in the slot, or the
  card was removed during this command; the host then closes the connection.
* Anything else (N = 0, 2 or 3 from the terminal, an unknown control byte) is a malformed frame:
  the host records it and closes the connection.

The socket is plain TCP on 127.0.0.1 (one port per slot); ``address`` is ``HOST:PORT``.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from card_emulators.errors import CARD_POWER_LOST, CARD_REMOVED
from card_emulators.readers.errors import CARD_SOCKET_BAD_FRAME, CARD_SOCKET_CONNECT_FAILED
from ehc.errors import EhcError

__all__ = [
    "CTRL_POWER_OFF",
    "CTRL_RESET",
    "CardEvent",
    "CardSlot",
    "CardSocketServer",
    "SocketCardTransport",
]

CTRL_POWER_OFF = 0x00
CTRL_RESET = 0x01
_SW_CARD_ERROR = b"\x6f\x00"


@dataclass(frozen=True)
class CardEvent:
    """One thing the card in a slot was asked: kind 'apdu', 'reset', 'power_off', 'removed' (the
    card left the slot instead of answering) or 'bad_frame'; ``at`` is time.monotonic()."""

    slot: str
    kind: str
    command: bytes
    response: bytes
    at: float


class CardSlot:
    """A card slot the kit owns: holds (or not) an emulated card, records what the card received.

    It is the :class:`~card_emulators.transports.vpcd.VirtualCard` a VpcdClient serves into pcscd
    as well as what :class:`CardSocketServer` serves, so both paths leave the same card-side record.
    ``on_event`` is called for every event (from the serving thread).
    """

    def __init__(self, name: str, on_event: Callable[[CardEvent], None] | None = None) -> None:
        self.name = name
        self.card: Any = None
        self.on_event = on_event
        self.events: list[CardEvent] = []
        self.removed = False  # the card left mid-command; it answers nothing until re-inserted
        self._lock = threading.Lock()

    # --- the kit's side --------------------------------------------------------------------------
    def insert(self, card: Any) -> None:
        with self._lock:
            self.card, self.removed = card, False
            card.powerUp()

    def eject(self) -> Any:
        with self._lock:
            card, self.card = self.card, None
        if card is not None:
            try:
                card.powerDown()
            except EhcError:
                pass
        return card

    @property
    def present(self) -> bool:
        return self.card is not None and not self.removed

    def record(self, kind: str, command: bytes, response: bytes) -> None:
        event = CardEvent(self.name, kind, bytes(command), bytes(response), time.monotonic())
        self.events.append(event)
        if self.on_event is not None:
            self.on_event(event)

    # --- VirtualCard (what the terminal reaches) -------------------------------------------------
    def getATR(self) -> bytes:  # noqa: N802 - vsmartcard's name
        card = self.card
        return bytes(card.getATR()) if card is not None else b""

    def powerUp(self) -> None:  # noqa: N802
        if self.present:
            self.card.powerUp()
            self.record("reset", b"", self.getATR())

    def powerDown(self) -> None:  # noqa: N802
        if self.present:
            self.card.powerDown()
            self.record("power_off", b"", b"")

    def reset(self) -> None:
        if self.present:
            self.card.reset()
            self.record("reset", b"", self.getATR())

    def execute(self, apdu: bytes) -> bytes:
        """The card's answer; raises EhcError(CARD_REMOVED) when the slot is (or becomes) empty."""
        if not self.present:
            raise EhcError(CARD_REMOVED, "no card in the slot", slot=self.name)
        try:
            response = bytes(self.card.execute(bytes(apdu)))
        except EhcError as exc:
            if exc.code in (CARD_REMOVED, CARD_POWER_LOST):
                self.removed = True
                self.record("removed", apdu, b"")
                raise EhcError(CARD_REMOVED, "card removed during the command", slot=self.name) from None
            response = _SW_CARD_ERROR  # a card bug answers like a confused card, never a crash
        self.record("apdu", apdu, response)
        return response


def _read_exact(sock: socket.socket, n: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        try:
            chunk = sock.recv(n - len(buf))
        except OSError:
            return None
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def _send_frame(sock: socket.socket, body: bytes) -> None:
    sock.sendall(struct.pack(">H", len(body)) + body)


class CardSocketServer:
    """Serves one :class:`CardSlot` on 127.0.0.1 (a free port); one terminal connection at a time."""

    def __init__(self, slot: CardSlot, host: str = "127.0.0.1", port: int = 0) -> None:
        self.slot = slot
        self._listener = socket.create_server((host, port))
        self._listener.settimeout(0.5)  # re-check the stop flag twice a second
        self.address = f"{host}:{self._listener.getsockname()[1]}"
        self._stop = threading.Event()
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()  # one command at a time reaches the card, whoever sends it
        self._thread = threading.Thread(target=self._serve, name=f"card-socket-{slot.name}", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(None)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._conns.add(conn)
            # One thread per connection: a terminal that leaves a connection open (or opens the
            # slot twice, like PC/SC shared mode) must not block the next one.
            threading.Thread(target=self._serve_one, args=(conn,), daemon=True).start()

    def _serve_one(self, conn: socket.socket) -> None:
        try:
            self._serve_connection(conn)
        finally:
            self._conns.discard(conn)
            try:
                conn.close()
            except OSError:
                pass

    def hangup(self) -> None:
        """Close every open connection (the card left the slot; the terminal must connect again)."""
        for conn in list(self._conns):
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _serve_connection(self, conn: socket.socket) -> None:
        while not self._stop.is_set():
            header = _read_exact(conn, 2)
            if header is None:
                return
            (length,) = struct.unpack(">H", header)
            body = _read_exact(conn, length) if length else b""
            if body is None:
                return
            with self._lock:
                if length == 1 and body[0] in (CTRL_RESET, CTRL_POWER_OFF):
                    reply = self._control(body[0])
                elif length >= 4:
                    try:
                        reply = self.slot.execute(body)
                    except EhcError:
                        reply = None
                else:
                    self.slot.record("bad_frame", body, b"")  # CARD_SOCKET_BAD_FRAME on the wire
                    return
            if reply is None:
                try:
                    _send_frame(conn, b"")  # no card / removed: an empty answer, then hang up
                except OSError:
                    pass
                return
            try:
                _send_frame(conn, reply)
            except OSError:
                return

    def _control(self, code: int) -> bytes:
        if not self.slot.present:
            return b""
        if code == CTRL_POWER_OFF:
            self.slot.powerDown()
            return b""
        self.slot.reset()
        return self.slot.getATR()

    def close(self) -> None:
        self._stop.set()
        self.hangup()
        try:
            self._listener.close()
        except OSError:
            pass
        self._thread.join(5)


class SocketCardTransport:
    """The terminal's side of a card socket: ``reset()`` gives the ATR, ``transmit(apdu)`` the answer.

    Raises EhcError(CARD_REMOVED) when the host answers "no card", EhcError(CARD_SOCKET_CONNECT_FAILED)
    when the socket cannot be reached, EhcError(CARD_SOCKET_BAD_FRAME) on a malformed answer.
    """

    def __init__(self, address: str, timeout: float = 30.0) -> None:
        host, _, port = address.rpartition(":")
        try:
            self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        except (OSError, ValueError) as exc:
            raise EhcError(CARD_SOCKET_CONNECT_FAILED, f"{address}: {exc}") from None
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.atr = b""

    def _exchange(self, body: bytes) -> bytes:
        try:
            _send_frame(self.sock, body)
        except OSError as exc:
            raise EhcError(CARD_REMOVED, f"card socket closed: {exc}") from None
        header = _read_exact(self.sock, 2)
        if header is None:
            raise EhcError(CARD_REMOVED, "card socket closed")
        (length,) = struct.unpack(">H", header)
        if length == 0:
            raise EhcError(CARD_REMOVED, "no card in the slot")
        answer = _read_exact(self.sock, length)
        if answer is None:
            raise EhcError(CARD_SOCKET_BAD_FRAME, "connection closed inside a frame", length=length)
        return answer

    def reset(self) -> bytes:
        self.atr = self._exchange(bytes([CTRL_RESET]))
        return self.atr

    def transmit(self, apdu: bytes) -> bytes:
        response = self._exchange(bytes(apdu))
        if len(response) < 2:
            raise EhcError(CARD_SOCKET_BAD_FRAME, "response shorter than a status word")
        return response

    __call__ = transmit

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self) -> SocketCardTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
