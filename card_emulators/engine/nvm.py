"""Non-volatile memory with a write journal: the anti-tearing layer of the card OS.

Every persistent byte of a card (file bodies, cyclic-file pointers, retry counters) lives in a named
*region* of this memory. A write goes through :meth:`NonVolatileMemory.transaction` like in a real
COS: (1) the new bytes are written to the journal area, (2) a one-byte commit flag is set, (3) the
bytes are copied to their regions, (4) the flag is cleared. Power may fail after ANY byte of any
step (fault injection counts every byte written); at the next power-up :meth:`recover` replays a
committed journal and drops an uncommitted one, so a region always holds the old or the new
content, never a mix.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

__all__ = ["NonVolatileMemory", "Tear"]


class Tear(Exception):
    """Power was cut during a write (raised by the byte counter; the engine turns it into power-off)."""


class NonVolatileMemory:
    """Named byte regions plus a journal. ``write_budget`` (bytes) arms a power-loss fault."""

    def __init__(self) -> None:
        self.regions: dict[str, bytearray] = {}
        self._order: list[str] = []  # region number = position, used in the journal encoding
        self.journal = bytearray()
        self.commit_flag = 0
        self._journal_len = 0
        self.write_budget: int | None = None  # bytes that may still be written before the power fails
        self.on_tear: Callable[[], None] | None = None
        self.bytes_written = 0  # statistics: every byte programmed (journal, flag and data)

    # --- layout ---------------------------------------------------------------------------------
    def allocate(self, name: str, size: int, fill: int = 0x00) -> bytearray:
        if name in self.regions:
            raise ValueError(f"region {name} allocated twice")
        self.regions[name] = bytearray([fill]) * size
        self._order.append(name)
        return self.regions[name]

    def read(self, name: str, offset: int = 0, length: int | None = None) -> bytes:
        region = self.regions[name]
        end = len(region) if length is None else offset + length
        return bytes(region[offset:end])

    # --- programming ----------------------------------------------------------------------------
    def _program(self, target: bytearray, offset: int, data: bytes) -> None:
        """Write bytes one by one while a fault is armed, else in one slice (the fast path)."""
        if self.write_budget is None:
            target[offset : offset + len(data)] = data
            self.bytes_written += len(data)
            return
        for i, b in enumerate(data):
            if self.write_budget <= 0:
                self.write_budget = None
                raise Tear(f"power lost after {self.bytes_written} bytes")
            target[offset + i] = b
            self.write_budget -= 1
            self.bytes_written += 1

    def _set_flag(self, value: int) -> None:
        box = bytearray([self.commit_flag])
        self._program(box, 0, bytes([value]))
        self.commit_flag = box[0]

    def transaction(self, writes: list[tuple[str, int, bytes]]) -> None:
        """Apply several region writes atomically (all or none survive a tear)."""
        body = bytearray()
        for name, offset, data in writes:
            region = self.regions[name]
            if offset < 0 or offset + len(data) > len(region):
                raise ValueError(f"write outside region {name}")
            body += struct.pack(">HHH", self._order.index(name), offset, len(data)) + data
        # (1) journal
        if len(self.journal) < len(body):
            self.journal.extend(b"\xff" * (len(body) - len(self.journal)))
        self._program(self.journal, 0, bytes(body))
        self._journal_len = len(body)
        # (2) commit
        self._set_flag(0x01)
        # (3) apply, (4) release
        self._apply(bytes(body))
        self._set_flag(0x00)

    def _apply(self, body: bytes) -> None:
        pos = 0
        while pos + 6 <= len(body):
            idx, offset, length = struct.unpack_from(">HHH", body, pos)
            pos += 6
            self._program(self.regions[self._order[idx]], offset, body[pos : pos + length])
            pos += length

    def journal_body(self) -> bytes:
        """The committed journal entries (parsed up to the last well-formed entry)."""
        out = bytearray()
        pos = 0
        while pos + 6 <= len(self.journal):
            idx, offset, length = struct.unpack_from(">HHH", self.journal, pos)
            if idx >= len(self._order) or pos + 6 + length > len(self.journal):
                break
            region = self.regions[self._order[idx]]
            if offset + length > len(region):
                break
            out += self.journal[pos : pos + 6 + length]
            pos += 6 + length
            if pos >= self._journal_len:
                break
        return bytes(out)

    def recover(self) -> bool:
        """At power-up: finish a committed transaction, forget an uncommitted one. True if replayed."""
        if self.commit_flag != 0x01:
            return False
        saved, self.write_budget = self.write_budget, None  # recovery itself is not torn in this model
        try:
            self._apply(self.journal_body())
            self.commit_flag = 0x00
        finally:
            self.write_budget = saved
        return True

    # --- persistence ----------------------------------------------------------------------------
    def snapshot(self) -> dict[str, object]:
        return {
            "regions": {name: self.regions[name].hex().upper() for name in self._order},
            "journal": bytes(self.journal[: self._journal_len]).hex().upper(),
            "commit_flag": self.commit_flag,
        }

    def restore(self, snap: dict[str, object]) -> None:
        regions = snap.get("regions", {})
        if not isinstance(regions, dict):
            raise ValueError("regions must be an object")
        for name, text in regions.items():
            data = bytes.fromhex(str(text))
            if name not in self.regions or len(data) != len(self.regions[name]):
                raise ValueError(f"region {name} unknown or of another size")
            self.regions[name][:] = data
        self.journal = bytearray(bytes.fromhex(str(snap.get("journal", ""))))
        self._journal_len = len(self.journal)
        flag = snap.get("commit_flag", 0)
        self.commit_flag = int(flag) if isinstance(flag, int) else 0
