"""Real PC/SC readers through pyscard: list, connect by name, transmit.

``transmit`` returns the response APDU as bytes (data followed by SW1 SW2), the same shape as the
in-process and vpcd paths, so a reader simulator or a card flow runs unchanged on any of them.

T=0 cards answer a case-4 command with ``61xx`` (fetch with GET RESPONSE) and a wrong Le with
``6Cxx`` (re-issue with Le = xx). :class:`ApduChannel` does both automatically by default; a
certification run turns it off (``auto_get_response=False, auto_resend_6c=False``) to see exactly
what the card said, and every exchange, automatic or not, is kept in ``transcript``.

Another PC/SC client may reset a card that we share (pcscd then answers our next call with
SCARD_W_RESET_CARD, "Card was reset"). :class:`PcscTransport` then reconnects once WITHOUT resetting
the card again (SCardReconnect, SCARD_LEAVE_CARD) and re-sends the command; the transcript gets an
``event`` entry saying so, because the card's volatile state (selected file, authentication, session
keys) was lost and a later refusal (6982) is explained by it. ``reconnect_on_reset=False`` turns it off.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from card_emulators.readers.errors import (
    PCSC_AMBIGUOUS_READER,
    PCSC_BAD_APDU,
    PCSC_GET_RESPONSE_LOOP,
    PCSC_LIBRARY_MISSING,
    PCSC_NO_CARD,
    PCSC_NO_READER,
    PCSC_TRANSMIT_FAILED,
)
from card_emulators.transports.vpcd import describe_apdu
from ehc.errors import EhcError

__all__ = [
    "Transmit",
    "Exchange",
    "ApduChannel",
    "PcscTransport",
    "list_readers",
    "reader_status",
    "select_reader",
    "parse_apdu_hex",
    "reissue_with_le",
    "RESET_EVENT",
]

log = logging.getLogger("ehc.pcsc")

Transmit = Callable[[bytes], bytes]
"""A command APDU in, the response APDU (data + SW1 SW2) out."""

MAX_CHAINED_RESPONSES = 64  # 64 x 256 bytes: far beyond any record of the health card
SCARD_W_RESET_CARD = 0x80100068  # pcsclite / WinSCard: the card was reset by another client
RESET_EVENT = "card reset by another PC/SC client (SCARD_W_RESET_CARD): reconnected, command re-sent"


@dataclass(frozen=True)
class Exchange:
    """One command/response pair on the wire; ``automatic`` marks GET RESPONSE / 6Cxx re-issues."""

    command: bytes
    response: bytes
    automatic: bool = False
    event: str = ""  # a transport event instead of a card answer (e.g. the card was reset); response b""

    @property
    def sw(self) -> int:
        return int.from_bytes(self.response[-2:], "big") if len(self.response) >= 2 else -1


def parse_apdu_hex(text: str) -> bytes:
    """'00A4 0000 02 DF01' or '00:a4:...' -> bytes; EhcError(PCSC_BAD_APDU) otherwise."""
    cleaned = "".join(ch for ch in text if ch not in " :\t\n\r-")
    try:
        apdu = bytes.fromhex(cleaned)
    except ValueError:
        raise EhcError(PCSC_BAD_APDU, "APDU is not hexadecimal", length=len(cleaned)) from None
    if len(apdu) < 4:
        raise EhcError(PCSC_BAD_APDU, "APDU needs at least CLA INS P1 P2", length=len(apdu))
    return apdu


def reissue_with_le(apdu: bytes, le: int) -> bytes:
    """The same short command with Le set to ``le`` (the 6Cxx correction)."""
    if len(apdu) == 4:  # case 1 -> case 2
        return apdu + bytes([le])
    if len(apdu) == 5:  # case 2
        return apdu[:4] + bytes([le])
    lc = apdu[4]
    if lc and len(apdu) == 5 + lc:  # case 3 -> case 4
        return apdu + bytes([le])
    if lc and len(apdu) == 6 + lc:  # case 4
        return apdu[:-1] + bytes([le])
    return apdu  # extended or malformed: leave it to the card


@dataclass
class ApduChannel:
    """Wrap a raw transmit with ISO 7816-4 response chaining; records a transcript."""

    raw_transmit: Transmit
    auto_get_response: bool = True
    auto_resend_6c: bool = True
    get_response_cla: int = 0x00
    keep_transcript: bool = True
    transcript: list[Exchange] = field(default_factory=list)

    def _raw(self, apdu: bytes, automatic: bool) -> bytes:
        response = bytes(self.raw_transmit(apdu))
        if len(response) < 2:
            raise EhcError(
                PCSC_TRANSMIT_FAILED, "response shorter than a status word", apdu=describe_apdu(apdu)
            )
        if self.keep_transcript:
            self.transcript.append(Exchange(apdu, response, automatic))
        return response

    def transmit(self, apdu: bytes) -> bytes:
        response = self._raw(apdu, automatic=False)
        if self.auto_resend_6c and response[-2] == 0x6C:
            response = self._raw(reissue_with_le(apdu, response[-1]), automatic=True)
        data = bytearray()
        rounds = 0
        while self.auto_get_response and response[-2] == 0x61:
            rounds += 1
            if rounds > MAX_CHAINED_RESPONSES:
                raise EhcError(PCSC_GET_RESPONSE_LOOP, rounds=rounds)
            data += response[:-2]
            get_response = bytes([self.get_response_cla, 0xC0, 0x00, 0x00, response[-1]])
            response = self._raw(get_response, automatic=True)
        return bytes(data) + response

    __call__ = transmit


def _smartcard() -> Any:
    try:
        import smartcard.CardConnection
        import smartcard.Exceptions
        import smartcard.System
    except ImportError:
        raise EhcError(PCSC_LIBRARY_MISSING) from None
    return smartcard


def list_readers() -> list[str]:
    """Names of the PC/SC readers; EhcError(PCSC_NO_READER) when the PC/SC service is absent."""
    sc = _smartcard()
    try:
        return [str(r) for r in sc.System.readers()]
    except Exception as exc:  # EstablishContextException, ListReadersException: pcscd not running
        raise EhcError(PCSC_NO_READER, f"PC/SC service not available: {exc}") from None


def reader_status() -> list[dict[str, object]]:
    """pcsc_scan-style view: each reader with whether a card answers and its ATR."""
    sc = _smartcard()
    try:
        found = sc.System.readers()
    except Exception as exc:
        raise EhcError(PCSC_NO_READER, f"PC/SC service not available: {exc}") from None
    out: list[dict[str, object]] = []
    for reader in found:
        conn = reader.createConnection()
        entry: dict[str, object] = {"reader": str(reader), "card_present": False, "atr": None}
        try:
            conn.connect()
            entry.update(card_present=True, atr=bytes(conn.getATR()).hex().upper())
            conn.disconnect()
        except Exception:  # no card, or a card that does not answer: both mean "nothing to read"
            pass
        finally:
            release = getattr(getattr(conn, "component", conn), "release", None)
            if release is not None:
                try:
                    release()
                except Exception:
                    pass
        out.append(entry)
    return out


def select_reader(names: list[str], wanted: str | None) -> str:
    """Exactly one reader: by exact name, else by case-insensitive substring; the only one if None."""
    if not names:
        raise EhcError(PCSC_NO_READER, "no PC/SC reader present")
    if wanted is None:
        if len(names) == 1:
            return names[0]
        raise EhcError(PCSC_AMBIGUOUS_READER, "several readers: name one", readers="; ".join(names))
    if wanted in names:
        return wanted
    matches = [n for n in names if wanted.lower() in n.lower()]
    if not matches:
        raise EhcError(PCSC_NO_READER, f"no reader matches {wanted!r}", readers="; ".join(names))
    if len(matches) > 1:
        raise EhcError(
            PCSC_AMBIGUOUS_READER, f"{wanted!r} matches several readers", readers="; ".join(matches)
        )
    return matches[0]


_PROTOCOLS = {"T0": "T0_protocol", "T1": "T1_protocol", "any": None}


def _was_reset(exc: BaseException) -> bool:
    hresult = getattr(exc, "hresult", -1)
    return isinstance(hresult, int) and hresult & 0xFFFFFFFF == SCARD_W_RESET_CARD


class PcscTransport:
    """A connected card in a PC/SC reader. ``transmit`` and calling the object are the same."""

    def __init__(
        self,
        reader: str | None = None,
        *,
        protocol: str = "any",
        auto_get_response: bool = True,
        auto_resend_6c: bool = True,
        reconnect_on_reset: bool = True,
    ) -> None:
        if protocol not in _PROTOCOLS:
            raise ValueError("protocol must be 'T0', 'T1' or 'any'")
        sc = _smartcard()
        self.reader = select_reader(list_readers(), reader)
        target = next(r for r in sc.System.readers() if str(r) == self.reader)
        self._connection = target.createConnection()
        conn_cls = sc.CardConnection.CardConnection
        attribute = _PROTOCOLS[protocol]
        proto = getattr(conn_cls, attribute) if attribute else None
        try:
            if proto is None:
                self._connection.connect()
            else:
                self._connection.connect(protocol=proto)
        except sc.Exceptions.NoCardException as exc:
            self.close()
            raise EhcError(PCSC_NO_CARD, str(exc), reader=self.reader) from None
        except sc.Exceptions.CardConnectionException as exc:
            self.close()
            raise EhcError(PCSC_NO_CARD, f"connect failed: {exc}", reader=self.reader) from None
        self.atr = bytes(self._connection.getATR())
        self.reconnect_on_reset = reconnect_on_reset
        self.resets_recovered = 0
        self.channel = ApduChannel(
            self._raw_transmit, auto_get_response=auto_get_response, auto_resend_6c=auto_resend_6c
        )

    @classmethod
    def from_connection(
        cls,
        connection: Any,
        *,
        auto_get_response: bool = True,
        auto_resend_6c: bool = True,
        reconnect_on_reset: bool = True,
    ) -> PcscTransport:
        """Wrap an already connected pyscard connection (a real one, or the in-process
        ``card_emulators.transports.inprocess`` one) so reader code runs unchanged on it."""
        self = cls.__new__(cls)
        self.reader = str(connection.getReader())
        self._connection = connection
        self.atr = bytes(connection.getATR())
        self.reconnect_on_reset = reconnect_on_reset
        self.resets_recovered = 0
        self.channel = ApduChannel(
            self._raw_transmit, auto_get_response=auto_get_response, auto_resend_6c=auto_resend_6c
        )
        return self

    @property
    def protocol(self) -> str:
        proto = self._connection.getProtocol()
        conn_cls = _smartcard().CardConnection.CardConnection
        return {conn_cls.T0_protocol: "T0", conn_cls.T1_protocol: "T1"}.get(proto, str(proto))

    @property
    def transcript(self) -> list[Exchange]:
        return self.channel.transcript

    def _raw_transmit(self, apdu: bytes) -> bytes:
        sc = _smartcard()
        try:
            data, sw1, sw2 = self._connection.transmit(list(apdu))
        except sc.Exceptions.CardConnectionException as exc:
            if not (self.reconnect_on_reset and _was_reset(exc)):
                raise EhcError(PCSC_TRANSMIT_FAILED, str(exc), apdu=describe_apdu(apdu)) from None
            self._reconnect_after_reset(apdu)
            try:  # once: a card reset again at once is not a race but a fault to report
                data, sw1, sw2 = self._connection.transmit(list(apdu))
            except sc.Exceptions.CardConnectionException as again:
                raise EhcError(
                    PCSC_TRANSMIT_FAILED,
                    f"after reconnecting a reset card: {again}",
                    apdu=describe_apdu(apdu),
                ) from None
        return bytes(data) + bytes([sw1, sw2])

    def _reconnect_after_reset(self, apdu: bytes) -> None:
        sc = _smartcard()
        from smartcard.scard import SCARD_LEAVE_CARD

        component = getattr(self._connection, "component", self._connection)
        disposition = getattr(component, "disposition", None)
        try:
            # LEAVE_CARD: the card was just reset; resetting it again would disturb the other client
            self._connection.reconnect(disposition=SCARD_LEAVE_CARD)
        except (sc.Exceptions.CardConnectionException, sc.Exceptions.NoCardException) as exc:
            raise EhcError(
                PCSC_NO_CARD, f"card was reset and reconnecting failed: {exc}", reader=self.reader
            ) from None
        finally:
            if disposition is not None:  # pyscard keeps the reconnect disposition for disconnect
                component.disposition = disposition
        self.atr = bytes(self._connection.getATR())
        self.resets_recovered += 1
        log.warning(
            "card in %s was reset by another client: reconnected, %s re-sent",
            self.reader,
            describe_apdu(apdu),
        )
        if self.channel.keep_transcript:
            self.channel.transcript.append(Exchange(apdu, b"", automatic=True, event=RESET_EVENT))

    def transmit(self, apdu: bytes) -> bytes:
        return self.channel.transmit(apdu)

    __call__ = transmit

    def close(self) -> None:
        """Disconnect and release the PC/SC context now (not in a late __del__ after pcscd is gone)."""
        component = getattr(self._connection, "component", self._connection)
        for step in (self._connection.disconnect, getattr(component, "release", None)):
            if step is None:
                continue
            try:
                step()
            except Exception:  # already gone (card pulled, pcscd stopped): closing must not fail
                pass

    def __enter__(self) -> PcscTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
