"""In-process pyscard transport: a ``smartcard.CardConnection.CardConnection`` that calls an
emulated card directly (a few µs per APDU), so pyscard code runs unchanged in unit tests.

    reader = EmulatedReader("Emulated Reader 0", card)
    conn = reader.createConnection()
    conn.connect()
    data, sw1, sw2 = conn.transmit([0x00, 0xA4, 0x00, 0x00, 0x02, 0x3F, 0x00])

Injected faults surface like a real reader's: power loss or removal mid-command raise pyscard's
``CardConnectionException``; a removed card makes ``connect`` raise ``NoCardException`` until
:meth:`EmulatedReader.insert` puts a card back.
"""

from __future__ import annotations

from typing import Any

from card_emulators.engine.card import CardOS
from card_emulators.errors import CardNotPowered, CardPowerLost, CardRemoved

try:  # pyscard is an optional extra ([pcsc]); the engine itself does not need it
    from smartcard.CardConnection import CardConnection
    from smartcard.Exceptions import CardConnectionException, NoCardException
    from smartcard.reader.Reader import Reader
except ImportError as exc:  # pragma: no cover - exercised only without pyscard
    raise ImportError("pyscard is needed for the in-process transport: pip install 'ehc-kit[pcsc]'") from exc

__all__ = ["EmulatedCardConnection", "EmulatedReader", "connect"]


class EmulatedReader(Reader):
    """A pyscard-like reader holding (or not) an emulated card."""

    def __init__(self, name: str = "EHC Emulated Reader 0", card: CardOS | None = None) -> None:
        super().__init__(name)
        self.card = card

    def insert(self, card: CardOS) -> None:
        self.card = card

    def remove(self) -> None:
        if self.card is not None:
            self.card.powerDown()
        self.card = None

    def createConnection(self) -> EmulatedCardConnection:  # noqa: N802 - pyscard's name
        return EmulatedCardConnection(self)


class EmulatedCardConnection(CardConnection):
    """pyscard connection to an emulated card; ``doTransmit`` calls ``card.execute`` in process."""

    def __init__(self, reader: EmulatedReader | CardOS, name: str | None = None) -> None:
        if not isinstance(reader, EmulatedReader):
            reader = EmulatedReader(name or "EHC Emulated Reader 0", reader)
        super().__init__(str(reader))
        self.emulated_reader = reader
        self.connected = False

    @property
    def card(self) -> CardOS:
        card = self.emulated_reader.card
        if card is None:
            raise NoCardException("no card in the emulated reader", 0)
        return card

    def connect(self, protocol: Any = None, mode: Any = None, disposition: Any = None) -> None:
        super().connect(protocol, mode, disposition)
        self.card.powerUp()
        self.connected = True
        if protocol is not None:
            self.setProtocol(protocol)

    def reconnect(self, protocol: Any = None, mode: Any = None, disposition: Any = None) -> None:
        super().reconnect(protocol, mode, disposition)
        self.card.reset()
        self.connected = True

    def disconnect(self) -> None:
        super().disconnect()
        if self.connected and self.emulated_reader.card is not None:
            self.emulated_reader.card.powerDown()
        self.connected = False

    def release(self) -> None:
        self.connected = False

    def getATR(self) -> list[int]:  # noqa: N802 - pyscard's name
        return list(self.card.getATR())

    def getProtocol(self) -> int:  # noqa: N802
        return self.defaultprotocol

    def getReader(self) -> str:  # noqa: N802
        return str(self.emulated_reader)

    def doTransmit(self, command: list[int], protocol: Any = None) -> tuple[list[int], int, int]:  # noqa: N802
        if not self.connected:
            raise CardConnectionException("card not connected")
        try:
            resp = self.card.execute(bytes(command))
        except CardRemoved as err:
            self.emulated_reader.card = None
            self.connected = False
            raise CardConnectionException(f"card removed: {err.message}") from err
        except (CardPowerLost, CardNotPowered) as err:
            self.connected = False
            raise CardConnectionException(f"card not responding: {err.message}") from err
        except ValueError as err:  # bytes() of a list with values outside 0..255
            raise CardConnectionException(f"bad APDU: {err}") from err
        return list(resp[:-2]), resp[-2], resp[-1]

    def doControl(self, controlCode: int, command: list[int] | None = None) -> list[int]:  # noqa: N802, N803
        return []

    def doGetAttrib(self, attribId: int) -> list[int]:  # noqa: N802, N803
        return []


def connect(card: CardOS, name: str = "EHC Emulated Reader 0") -> EmulatedCardConnection:
    """A connected pyscard connection to ``card`` (powered up)."""
    conn = EmulatedReader(name, card).createConnection()
    conn.connect()
    return conn
