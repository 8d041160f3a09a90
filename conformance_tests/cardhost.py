"""The kit hosts the cards a terminal under test reads: the user card slot and the PSAM slot.

Both emulators run in the kit's process; the terminal reaches them either through the kit-hosted
card socket (``socket``, card_emulators/transports/card_socket.py) or as two readers of a private
pcscd the kit starts (``pcsc``: the emulators are the vpcd virtual cards, the terminal opens the
readers by name with PC/SC). Either way every APDU the card and the PSAM received, and what they
answered, is recorded here — the card-side transcript verdicts about card access rest on.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

from card_emulators.transports.card_socket import CardEvent, CardSlot, CardSocketServer
from ehc.errors import EhcError

from .errors import ADAPTER_UNAVAILABLE

CARD_SLOTS = ("card", "psam")
MODES = ("socket", "pcsc")


class CardHost:
    """Two slots (user card, PSAM) served over ``mode``; ``on_event`` sees every card-side event."""

    def __init__(self, mode: str = "socket", on_event: Callable[[CardEvent], None] | None = None) -> None:
        if mode not in MODES:
            raise EhcError(ADAPTER_UNAVAILABLE, f"card channel {mode!r}: use socket or pcsc")
        self.mode = mode
        self._on_event = on_event
        self.slots = {name: CardSlot(name, self._event) for name in CARD_SLOTS}
        self._servers: dict[str, CardSocketServer] = {}
        self._clients: dict[str, Any] = {}
        self.harness: Any = None
        if mode == "socket":
            self._servers = {name: CardSocketServer(slot) for name, slot in self.slots.items()}
        else:
            self._start_pcscd()

    def _start_pcscd(self) -> None:
        from card_emulators.pcscd import PcscdHarness, unavailable_reason

        reason = unavailable_reason()
        if reason:
            raise EhcError(ADAPTER_UNAVAILABLE, f"cards=pcsc needs a pcscd the kit can start: {reason}")
        self.harness = PcscdHarness(mode=os.environ.get("EHC_PCSCD_MODE", "isolated")).start()

    def _event(self, event: CardEvent) -> None:
        if event.kind == "removed" and event.slot in self._clients:
            # The card left the reader: it stays out (no vpcd re-insertion) until the kit ejects it.
            threading.Thread(target=self._clients[event.slot].stop, daemon=True).start()
        if self._on_event is not None:
            self._on_event(event)

    # ------------------------------------------------------------------ where the terminal looks
    def location(self, slot: str) -> dict[str, str]:
        """What ``insert_card`` tells the driver: a socket address or a PC/SC reader name."""
        if self.mode == "socket":
            return {"transport": "socket", "address": self._servers[slot].address}
        return {"transport": "pcsc", "reader": self.harness.reader_name(CARD_SLOTS.index(slot))}

    def client_env(self) -> dict[str, str] | None:
        """Environment for the driver process (the private pcscd's socket), None = inherit."""
        return self.harness.client_env() if self.harness is not None else None

    # ------------------------------------------------------------------ cards in and out
    def insert(self, slot: str, card: Any) -> None:
        self.slots[slot].insert(card)
        if self.mode == "pcsc":
            from card_emulators.transports.vpcd import VpcdClient

            index = CARD_SLOTS.index(slot)
            for _attempt in range(2):
                client = VpcdClient(self.slots[slot], port=self.harness.vpcd_port(index), name=slot).start()
                self._clients[slot] = client
                if client.wait_connected(10) and self.harness.wait_card(index, True, timeout=15):
                    return
                # pcscd polls its vpcd slot: take the card out, let it see the slot empty, retry once.
                client.stop()
                self.harness.wait_card(index, False)
            raise EhcError(ADAPTER_UNAVAILABLE, f"pcscd did not see the {slot} inserted")

    def eject(self, slot: str) -> None:
        client = self._clients.pop(slot, None)
        if client is not None:
            client.stop()
            # pcscd must see the card go, or it takes the next card for this one (stale ATR).
            self.harness.wait_card(CARD_SLOTS.index(slot), False)
        self.slots[slot].eject()
        if slot in self._servers:
            self._servers[slot].hangup()  # a connection left open does not outlive the card

    def close(self) -> None:
        for slot in CARD_SLOTS:
            try:
                self.eject(slot)
            except EhcError:
                pass
        for server in self._servers.values():
            server.close()
        if self.harness is not None:
            self.harness.stop()
