"""Fault injection for emulated cards, configurable at run time.

A :class:`FaultPlan` is attached to every card (``card.faults``). Terminal tests arm faults between
commands::

    card.faults.power_loss_after(12, ins=0xDC)   # next UPDATE RECORD: power fails after 12 NVM bytes
    card.faults.force_sw(0x6581, count=2)        # next two commands answer 6581 (memory failure)
    card.faults.force_sw(0x6A82, ins=0xA4)       # every SELECT answers 6A82 until cleared
    card.faults.add_latency(0.05)                # every command takes 50 ms longer
    card.faults.remove_card(after=3)             # card leaves the reader before the 4th command

Power loss and removal raise :class:`~card_emulators.errors.CardPowerLost` /
:class:`~card_emulators.errors.CardRemoved` from ``execute`` and leave the card powered down (the
transport turns that into "no card" / a PC/SC error); the card recovers its journal at the next
power-up.
"""

from __future__ import annotations

from dataclasses import dataclass

from card_emulators.errors import CARD_BAD_CONFIG
from ehc.errors import EhcError

__all__ = ["FaultPlan", "Fault"]

FOREVER = -1


@dataclass(slots=True)
class Fault:
    kind: str  # power_loss | force_sw | latency | remove
    ins: int | None = None  # only commands with this INS (None = any)
    count: int = 1  # commands it applies to; FOREVER = until cleared
    value: float = 0  # bytes before power loss, forced SW, or seconds of latency
    skip: int = 0  # matching commands to let through first

    def matches(self, ins: int) -> bool:
        return self.ins is None or self.ins == ins


class FaultPlan:
    """The faults armed on one card; consulted by the engine before every command."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self.fired: list[tuple[str, int]] = []  # (kind, ins) of every fault that took effect

    # --- arming -----------------------------------------------------------------------------------
    def _add(self, fault: Fault) -> Fault:
        if fault.count == 0 or fault.count < FOREVER or fault.skip < 0:
            raise EhcError(CARD_BAD_CONFIG, "fault count must be positive or FOREVER")
        if fault.ins is not None and not 0 <= fault.ins <= 0xFF:
            raise EhcError(CARD_BAD_CONFIG, "INS must be a byte")
        self.faults.append(fault)
        return fault

    def power_loss_after(self, nbytes: int, ins: int | None = None, skip: int = 0) -> Fault:
        """Cut the power after ``nbytes`` bytes of non-volatile memory were programmed by the next
        (matching) command. A command that writes fewer bytes completes and disarms the fault."""
        if nbytes < 0:
            raise EhcError(CARD_BAD_CONFIG, "byte count must be >= 0")
        return self._add(Fault("power_loss", ins, 1, nbytes, skip))

    def force_sw(self, sw: int, count: int = 1, ins: int | None = None, skip: int = 0) -> Fault:
        """Answer ``sw`` (without executing) to the next ``count`` matching commands."""
        if not 0 <= sw <= 0xFFFF:
            raise EhcError(CARD_BAD_CONFIG, "status word must be 2 bytes")
        return self._add(Fault("force_sw", ins, count, sw, skip))

    def add_latency(self, seconds: float, count: int = FOREVER, ins: int | None = None) -> Fault:
        if seconds < 0:
            raise EhcError(CARD_BAD_CONFIG, "latency must be >= 0")
        return self._add(Fault("latency", ins, count, seconds))

    def remove_card(self, after: int = 0, ins: int | None = None) -> Fault:
        """The card leaves the reader instead of answering the (after+1)-th matching command."""
        return self._add(Fault("remove", ins, 1, 0, after))

    def clear(self) -> None:
        self.faults.clear()

    # --- consulted by the engine ------------------------------------------------------------------
    def take(self, ins: int) -> list[Fault]:
        """The faults that apply to this command (counts and skips are consumed)."""
        out: list[Fault] = []
        for fault in list(self.faults):
            if not fault.matches(ins):
                continue
            if fault.skip > 0:
                fault.skip -= 1
                continue
            out.append(fault)
            self.fired.append((fault.kind, ins))
            if fault.count != FOREVER:
                fault.count -= 1
                if fault.count == 0:
                    self.faults.remove(fault)
        return out
