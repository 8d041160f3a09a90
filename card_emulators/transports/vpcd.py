"""Card side of the vsmartcard ``vpcd`` protocol: puts an emulated card into a real pcscd.

pcscd's vpcd driver (Debian ``vsmartcard-vpcd``) *listens* on TCP (35963 for slot 0, 35964 for slot 1
by default); the virtual card *connects* to it. Every message in both directions is a 2-byte
big-endian length followed by that many bytes. A 1-byte message from the driver is a control:
0 power off, 1 power on, 2 reset, 4 get ATR (answered with the ATR); any longer message is a
command APDU, answered with the response APDU.

Latency: the driver writes the length and the body in two ``send`` calls. With Nagle and delayed
ACKs each APDU then waits ~40 ms for the peer's delayed ACK; ``TCP_NODELAY`` on the socket and
``TCP_QUICKACK`` set again around every ``recv`` (Linux clears it after each ACK) bring it to
~0.2 ms. Measured in benchmarks/bench_pcsc.py.

Robustness: a malformed frame is counted and logged, never fatal; a card exception becomes SW 6F00;
a lost connection is retried (pcscd restarting, the card "re-inserted"). Logs never show APDU
data, only the header and the status word: data fields carry ID numbers and cryptograms.
"""

from __future__ import annotations

import logging
import signal
import socket
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass
from types import FrameType
from typing import Protocol

from card_emulators.errors import CARD_POWER_LOST, CARD_REMOVED
from card_emulators.readers.errors import VPCD_BAD_FRAME, VPCD_CONNECT_FAILED
from ehc.errors import EhcError

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "CTRL_POWER_OFF",
    "CTRL_POWER_ON",
    "CTRL_RESET",
    "CTRL_GET_ATR",
    "VirtualCard",
    "VpcdStats",
    "VpcdEvent",
    "VpcdClient",
    "describe_apdu",
]

log = logging.getLogger("ehc.vpcd")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 35963  # vsmartcard's VPCDPORT; slot n listens on DEFAULT_PORT + n
CTRL_POWER_OFF = 0
CTRL_POWER_ON = 1
CTRL_RESET = 2
CTRL_GET_ATR = 4
_MAX_FRAME = 0xFFFF
_SW_NO_PRECISE_DIAGNOSIS = b"\x6f\x00"


class VirtualCard(Protocol):
    """What vpcd needs from a card OS (the vsmartcard VirtualICC shape)."""

    def getATR(self) -> bytes: ...  # noqa: N802 - vsmartcard's names

    def powerUp(self) -> None: ...  # noqa: N802

    def powerDown(self) -> None: ...  # noqa: N802

    def reset(self) -> None: ...

    def execute(self, apdu: bytes) -> bytes: ...


@dataclass
class VpcdStats:
    """Counters a test or the CLI can read while the client runs."""

    connects: int = 0
    disconnects: int = 0
    apdus: int = 0
    controls: int = 0
    bad_frames: int = 0
    card_errors: int = 0
    removals: int = 0  # injected power loss / card removal: connection dropped, card re-inserted


def describe_apdu(apdu: bytes) -> str:
    """Header and lengths only (CLA INS P1 P2 Lc/len): safe to log, shows no data field."""
    if len(apdu) < 4:
        return f"short({len(apdu)})"
    return f"{apdu[:4].hex().upper()} len={len(apdu)}"


@dataclass(frozen=True)
class VpcdEvent:
    """One thing the driver asked of the card: kind 'apdu' (with the response), 'power_on',
    'power_off', 'reset', 'control' (unknown byte) or 'removed' (the card left mid-command)."""

    kind: str
    command: bytes
    response: bytes
    at: float  # time.monotonic()


_CONTROL_KINDS = {
    CTRL_POWER_OFF: "power_off",
    CTRL_POWER_ON: "power_on",
    CTRL_RESET: "reset",
    CTRL_GET_ATR: "atr",
}


def _event_kind(body: bytes) -> str:
    return _CONTROL_KINDS.get(body[0], "control") if len(body) == 1 else "apdu"


class _CardGone(Exception):
    """Internal: the emulated card lost power or was pulled mid-command."""


_TCP_QUICKACK = getattr(socket, "TCP_QUICKACK", None)  # Linux only; macOS/Windows lack it


def _quickack(sock: socket.socket) -> None:
    # Linux clears QUICKACK after each ACK it sends, so it must be re-armed around every recv.
    if _TCP_QUICKACK is not None:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, _TCP_QUICKACK, 1)
        except OSError:
            pass


class VpcdClient:
    """Serve one virtual card to one vpcd slot; reconnects until :meth:`stop`.

    Use :meth:`start` for a background thread (tests), :meth:`serve_forever` to block, or
    :meth:`run_until_signal` in a command-line process (SIGINT/SIGTERM stop it cleanly).
    """

    def __init__(
        self,
        card: VirtualCard,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        *,
        reconnect: bool = True,
        reconnect_delay: float = 0.2,
        connect_timeout: float = 2.0,
        name: str = "card",
        tcp_tuning: bool = True,
        listen: bool = False,
        record: int = 0,
        reinsert_delay: float = 1.0,
    ) -> None:
        self.card = card
        self.host = host
        self.port = port
        self.reconnect = reconnect
        self.reconnect_delay = reconnect_delay
        self.reinsert_delay = reinsert_delay  # after an injected removal / power loss
        self.connect_timeout = connect_timeout
        self.name = name
        self.tcp_tuning = tcp_tuning  # False only to measure what TCP_NODELAY/QUICKACK save (~40 ms/APDU)
        # Reverse mode: the card listens and the driver dials it (reader.conf DEVICENAME host:port),
        # for a pcscd in a VM or container that cannot be reached from the emulator.
        self.listen = listen
        self._listener: socket.socket | None = None
        # The lower tester's view: what the terminal under test sent, in order (kept in memory only;
        # never logged). ``record`` bounds it; 0 keeps nothing. pcscd's ATR polls are not kept.
        self.transcript: deque[VpcdEvent] = deque(maxlen=record or 1)
        self._record = record > 0
        self.stats = VpcdStats()
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> VpcdClient:
        """Run :meth:`serve_forever` in a daemon thread and return at once (again after :meth:`stop`:
        the card is "re-inserted")."""
        if self._thread is not None and self._thread.is_alive():
            return self
        self._stop.clear()
        self._thread = threading.Thread(target=self.serve_forever, name=f"vpcd-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving: closes the connection (the card looks removed to pcscd) and joins the thread."""
        self._stop.set()
        with self._lock:
            sock = self._sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes a blocked recv in the serving thread
            except OSError:
                pass
        listener, self._listener = self._listener, None
        if listener is not None:
            try:
                listener.close()  # wakes a blocked accept
            except OSError:
                pass
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def wait_connected(self, timeout: float = 10.0) -> bool:
        """True once the client holds a connection to the driver."""
        return self._connected.wait(timeout)

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def __enter__(self) -> VpcdClient:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def run_until_signal(self) -> None:
        """Serve in the calling (main) thread until SIGINT or SIGTERM."""

        def _handler(signum: int, frame: FrameType | None) -> None:
            log.info("vpcd %s: signal %d, stopping", self.name, signum)
            # Closing from the handler would race the recv in progress; a thread does it cleanly.
            threading.Thread(target=self.stop, daemon=True).start()

        old = {s: signal.signal(s, _handler) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.serve_forever()
        finally:
            for s, h in old.items():
                signal.signal(s, h)

    # --- serving -------------------------------------------------------------------------------------
    def serve_forever(self) -> None:
        """Connect, serve frames, reconnect on loss; returns after :meth:`stop`.

        Raises EhcError(VPCD_CONNECT_FAILED) only when ``reconnect`` is False and connecting fails.
        """
        try:
            self._serve_until_stopped()
        finally:
            listener, self._listener = self._listener, None
            if listener is not None:
                listener.close()

    def _serve_until_stopped(self) -> None:
        while not self._stop.is_set():
            sock = self._accept() if self.listen else self._connect()
            if sock is None:
                if self._stop.is_set():
                    break
                if not self.reconnect:
                    raise EhcError(VPCD_CONNECT_FAILED, host=self.host, port=self.port)
                self._stop.wait(self.reconnect_delay)
                continue
            removals_before = self.stats.removals
            try:
                self._serve_connection(sock)
            finally:
                self._connected.clear()
                with self._lock:
                    self._sock = None
                try:
                    sock.close()
                except OSError:
                    pass
                self.stats.disconnects += 1
            if not self.reconnect:
                break
            if not self._stop.is_set():
                if self.stats.removals > removals_before:
                    # pcscd polls the slot every ~0.4 s: stay out long enough for it to see the card
                    # gone, or it keeps the slot marked empty while believing nothing changed.
                    self._stop.wait(self.reinsert_delay)
                else:
                    log.info(
                        "vpcd %s: connection to %s:%d lost, reconnecting", self.name, self.host, self.port
                    )
                    self._stop.wait(self.reconnect_delay)

    def _accept(self) -> socket.socket | None:
        if self._listener is None:
            try:
                listener = socket.create_server((self.host, self.port), reuse_port=False)
            except OSError as exc:
                raise EhcError(
                    VPCD_CONNECT_FAILED, f"cannot listen: {exc}", host=self.host, port=self.port
                ) from None
            listener.settimeout(0.5)  # re-check the stop flag twice a second
            self._listener = listener
            log.info("vpcd %s: listening on %s:%d for the vpcd driver", self.name, self.host, self.port)
        while not self._stop.is_set():
            listener = self._listener
            if listener is None:
                return None
            try:
                sock, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return None
            return self._adopt(sock)
        return None

    def _connect(self) -> socket.socket | None:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.connect_timeout)
        except OSError as exc:
            log.debug("vpcd %s: connect %s:%d failed: %s", self.name, self.host, self.port, exc)
            return None
        return self._adopt(sock)

    def _adopt(self, sock: socket.socket) -> socket.socket | None:
        """Tune a fresh connection to the driver and make it the current one."""
        sock.settimeout(None)
        if self.tcp_tuning:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            _quickack(sock)
        with self._lock:
            if self._stop.is_set():
                sock.close()
                return None
            self._sock = sock
        self.stats.connects += 1
        self._connected.set()
        log.info("vpcd %s: connected to %s:%d", self.name, self.host, self.port)
        return sock

    def _serve_connection(self, sock: socket.socket) -> None:
        reader = _Reader(sock, self.tcp_tuning)
        while not self._stop.is_set():
            header = reader.exact(2, rearm=True)
            if header is None:
                return
            (length,) = struct.unpack(">H", header)
            if length == 0:
                # The driver never sends an empty frame: count it, answer nothing, keep serving.
                self.stats.bad_frames += 1
                log.warning("vpcd %s: %s: empty frame ignored", self.name, VPCD_BAD_FRAME.name)
                continue
            body = reader.exact(length)
            if body is None:
                if length:
                    self.stats.bad_frames += 1
                    log.warning(
                        "vpcd %s: %s: connection closed inside a %d-byte frame",
                        self.name,
                        VPCD_BAD_FRAME.name,
                        length,
                    )
                return
            try:
                reply = self._handle(body)
                if self._record and not (len(body) == 1 and body[0] == CTRL_GET_ATR):
                    self.transcript.append(VpcdEvent(_event_kind(body), body, reply or b"", time.monotonic()))
            except _CardGone:
                if self._record:
                    self.transcript.append(VpcdEvent("removed", body, b"", time.monotonic()))
                # The card "left the reader": drop the link so pcscd reports removal, then re-insert.
                self.stats.removals += 1
                return
            if reply is not None:
                try:
                    sock.sendall(struct.pack(">H", len(reply)) + reply)
                except OSError:
                    return

    def _handle(self, body: bytes) -> bytes | None:
        if len(body) == 1:
            return self._control(body[0])
        self.stats.apdus += 1
        try:
            response = bytes(self.card.execute(body))
        except EhcError as exc:
            if exc.code in (CARD_POWER_LOST, CARD_REMOVED):
                log.info("vpcd %s: %s on %s", self.name, exc.code.name, describe_apdu(body))
                raise _CardGone from exc
            self.stats.card_errors += 1
            log.warning(
                "vpcd %s: card error %s on %s; answering 6F00", self.name, exc.code.name, describe_apdu(body)
            )
            return _SW_NO_PRECISE_DIAGNOSIS
        except Exception:  # a card bug must not take the reader down: answer like a confused card
            self.stats.card_errors += 1
            log.exception("vpcd %s: card raised on %s; answering 6F00", self.name, describe_apdu(body))
            return _SW_NO_PRECISE_DIAGNOSIS
        if len(response) < 2 or len(response) > _MAX_FRAME:
            self.stats.card_errors += 1
            log.error("vpcd %s: card gave a %d-byte response; answering 6F00", self.name, len(response))
            return _SW_NO_PRECISE_DIAGNOSIS
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "vpcd %s: %s -> %d bytes SW=%s",
                self.name,
                describe_apdu(body),
                len(response),
                response[-2:].hex(),
            )
        return response

    def _control(self, code: int) -> bytes | None:
        self.stats.controls += 1
        try:
            if code == CTRL_GET_ATR:
                return bytes(self.card.getATR())
            if code == CTRL_POWER_ON:
                self.card.powerUp()
            elif code == CTRL_POWER_OFF:
                self.card.powerDown()
            elif code == CTRL_RESET:
                self.card.reset()
            else:
                self.stats.bad_frames += 1
                log.warning(
                    "vpcd %s: %s: unknown control byte 0x%02X ignored", self.name, VPCD_BAD_FRAME.name, code
                )
        except Exception:
            self.stats.card_errors += 1
            log.exception("vpcd %s: card raised on control %d", self.name, code)
        return None


class _Reader:
    """Exact reads from one preallocated buffer (``recv_into``, no per-chunk allocation); whatever
    one recv brings is kept for the next frame.

    TCP_QUICKACK is re-armed before the recv of a frame's length only: it is the card's answer that
    puts Linux back into delayed-ACK ("pingpong") mode, and between the length and the body the card
    sends nothing, so one setsockopt per frame keeps the length's ACK immediate (was two per recv).

    Measured: the driver writes the length in a send of its own and, under Nagle, holds the body
    back until that length is ACKed; the kernel sends that ACK when the card *reads* the length. So
    the serving thread must wake for the length alone - an SO_RCVLOWAT of 3 bytes to save that wake
    made every APDU wait for the 40 ms delayed ACK.
    """

    __slots__ = ("sock", "buf", "view", "start", "end", "quickack")

    def __init__(self, sock: socket.socket, quickack: bool = True) -> None:
        self.sock = sock
        self.buf = bytearray(2 * (_MAX_FRAME + 2))  # room for a whole frame after any leftover
        self.view = memoryview(self.buf)
        self.start = 0
        self.end = 0
        self.quickack = quickack

    def exact(self, n: int, rearm: bool = False) -> bytes | None:
        """Exactly n bytes; None on EOF or a closed socket (a partial frame is dropped). ``rearm``:
        re-arm TCP_QUICKACK before the first recv (the start of a frame)."""
        while self.end - self.start < n:
            if self.start == self.end:
                self.start = self.end = 0
            elif self.end + (n - (self.end - self.start)) > len(self.buf):
                kept = self.end - self.start  # compact: move the partial frame to the front
                self.buf[:kept] = self.buf[self.start : self.end]
                self.start, self.end = 0, kept
            # Take all the room there is: a recv returns what has arrived, at most a frame or two.
            want = len(self.buf) - self.end
            if rearm and self.quickack:
                _quickack(self.sock)
                rearm = False
            try:
                got = self.sock.recv_into(self.view[self.end :], want)
            except OSError:
                return None
            if not got:
                return None
            self.end += got
        out = bytes(self.view[self.start : self.start + n])
        self.start += n
        return out
