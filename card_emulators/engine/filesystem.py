"""The card's file system: MF, DF (DDF/ADF), transparent EF, linear and cyclic record EF.

Each file body lives in a region of :class:`~card_emulators.engine.nvm.NonVolatileMemory`, so every
update is journaled (anti-tearing). Access conditions are per file and per operation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from card_emulators.engine.nvm import NonVolatileMemory

_NodeT = TypeVar("_NodeT", bound="Node")

__all__ = ["Access", "DF", "EF", "TransparentEF", "RecordEF", "KeyObject", "PinObject", "FREE", "NEVER"]


@dataclass(frozen=True, slots=True)
class Access:
    """An access condition: ``free``; ``auth`` with key ``key`` (EXTERNAL AUTHENTICATE); ``pin``
    (VERIFY); ``never``. ``sm_key`` set = the command must also come with secure messaging (CLA 04)
    whose MAC is computed with that key's session key."""

    kind: str = "free"  # free | auth | pin | never
    key: int | None = None
    sm_key: int | None = None

    def text(self) -> str:
        out = self.kind if self.key is None else f"{self.kind}:{self.key:02X}"
        if self.sm_key is not None:
            out += f"+sm:{self.sm_key:02X}"
        return out

    @classmethod
    def parse(cls, text: str) -> Access:
        main, _, sm = text.partition("+sm:")
        kind, _, key = main.partition(":")
        if kind not in ("free", "auth", "pin", "never"):
            raise ValueError(f"unknown access condition {text!r}")
        return cls(kind, int(key, 16) if key else None, int(sm, 16) if sm else None)


FREE = Access("free")
NEVER = Access("never")


@dataclass(eq=False)
class KeyObject:
    """A symmetric key of a DF: ``usage`` ext (EXTERNAL AUTH), int (INTERNAL AUTH), sm (session MAC /
    encryption), ``psam`` (a PSAM master key addressed by its 2-byte index). Region layout:
    [remaining tries][16-byte key]; tries 0xFF = unlimited."""

    ref: int
    usage: str
    region: str
    max_tries: int
    label: str = ""


@dataclass(eq=False)
class PinObject:
    """A PIN with its unblocking PUK. Region: [pin tries][pin len][pin 6 B][puk tries][puk len][puk 8 B]."""

    ref: int
    region: str
    max_tries: int
    puk_max_tries: int


PIN_REGION_SIZE = 1 + 1 + 6 + 1 + 1 + 8


@dataclass(eq=False)
class Node:
    fid: int
    parent: DF | None = field(default=None, repr=False)
    label: str = ""

    @property
    def path(self) -> tuple[int, ...]:
        out: list[int] = []
        node: Node | None = self
        while node is not None:
            out.append(node.fid)
            node = node.parent
        return tuple(reversed(out))

    @property
    def path_text(self) -> str:
        return "/".join(f"{f:04X}" for f in self.path)


@dataclass(eq=False)
class DF(Node):
    name: bytes = b""  # DF name (AID) returned in the FCI, selectable with P1=04
    children: dict[int, Node] = field(default_factory=dict, repr=False)
    keys: dict[int, KeyObject] = field(default_factory=dict, repr=False)
    pins: dict[int, PinObject] = field(default_factory=dict, repr=False)

    def add(self, node: Node) -> Node:
        if node.fid in self.children or node.fid == self.fid:
            raise ValueError(f"FID {node.fid:04X} used twice under {self.path_text}")
        node.parent = self
        self.children[node.fid] = node
        return node

    def child(self, fid: int, kind: type[_NodeT]) -> _NodeT:
        """The child ``fid``, which the layout makes a ``kind`` (KeyError if absent)."""
        node = self.children[fid]
        if not isinstance(node, kind):
            raise TypeError(f"{node.path_text} is a {type(node).__name__}, not a {kind.__name__}")
        return node

    def ancestors_and_self(self) -> list[DF]:
        out: list[DF] = []
        node: DF | None = self
        while node is not None:
            out.append(node)
            node = node.parent
        return out

    def find_key(self, ref: int) -> tuple[DF, KeyObject] | None:
        """A key reference resolves in the current DF first, then in its ancestors."""
        for df in self.ancestors_and_self():
            key = df.keys.get(ref)
            if key is not None:
                return df, key
        return None

    def find_pin(self, ref: int) -> tuple[DF, PinObject] | None:
        for df in self.ancestors_and_self():
            pin = df.pins.get(ref)
            if pin is not None:
                return df, pin
        return None

    def walk(self):
        yield self
        for child in self.children.values():
            if isinstance(child, DF):
                yield from child.walk()
            else:
                yield child


@dataclass(eq=False)
class EF(Node):
    sfi: int | None = None
    read: Access = FREE
    update: Access = FREE
    region: str = ""


@dataclass(eq=False)
class TransparentEF(EF):
    size: int = 0


@dataclass(eq=False)
class RecordEF(EF):
    """Linear (fixed or variable) or cyclic record file. ``record_sizes`` fixes each record's length.

    ``tlv`` = each record is one ``Tag(1) Len(1) Value`` data item (READ RECORD by tag works and
    UPDATE RECORD must keep the record's tag). ``items`` names the data items (for card images).
    Cyclic files keep [newest index][records written] in the region ``<region>#ptr``.
    """

    cyclic: bool = False
    record_sizes: tuple[int, ...] = ()
    tlv: bool = False
    items: tuple[str, ...] = ()

    def offset_of(self, index: int) -> int:
        return sum(self.record_sizes[:index])

    @property
    def size(self) -> int:
        return sum(self.record_sizes)


def allocate(nvm: NonVolatileMemory, df: DF) -> None:
    """Give every EF, key and PIN under ``df`` its region (names are paths, stable across saves)."""
    for node in df.walk():
        if isinstance(node, DF):
            for key in node.keys.values():
                key.region = f"{node.path_text}/key:{key.ref:02X}"
                if key.region not in nvm.regions:
                    nvm.allocate(key.region, 17)
            for pin in node.pins.values():
                pin.region = f"{node.path_text}/pin:{pin.ref:02X}"
                if pin.region not in nvm.regions:
                    nvm.allocate(pin.region, PIN_REGION_SIZE)
        elif isinstance(node, TransparentEF):
            node.region = node.path_text
            if node.region not in nvm.regions:
                nvm.allocate(node.region, node.size)
        elif isinstance(node, RecordEF):
            node.region = node.path_text
            if node.region not in nvm.regions:
                nvm.allocate(node.region, node.size, fill=0xFF if node.cyclic else 0x00)
                if node.cyclic:
                    nvm.allocate(node.region + "#ptr", 2)
