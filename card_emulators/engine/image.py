"""Card images: a card's tree, contents, keys, counters and journal as human-readable JSON.

Format ``ehc-card-image/1``: one entry per file with its path, type, access conditions and content
as hex (records one by one, named by their data items where the personality knows them), keys and
PINs with their remaining tries (values are TEST-ONLY material: an image is a test artefact), the
cyclic pointers and the anti-tearing journal. Loading rebuilds the tree from the image alone.
"""

from __future__ import annotations

from typing import Any

from card_emulators.engine.card import IsoCard
from card_emulators.engine.filesystem import (
    DF,
    Access,
    KeyObject,
    Node,
    PinObject,
    RecordEF,
    TransparentEF,
    allocate,
)
from card_emulators.engine.nvm import NonVolatileMemory

__all__ = ["FORMAT", "card_to_image", "tree_from_image", "restore_contents"]

FORMAT = "ehc-card-image/1"


def _h(data: bytes) -> str:
    return data.hex().upper()


def card_to_image(card: IsoCard) -> dict[str, Any]:
    files: list[dict[str, Any]] = []
    nvm = card.nvm
    for node in card.mf.walk():
        entry: dict[str, Any] = {"path": node.path_text, "label": node.label}
        if isinstance(node, DF):
            entry["type"] = "DF"
            if node.name:
                entry["name"] = _h(node.name)
            entry["keys"] = [
                {
                    "ref": f"{k.ref:02X}",
                    "label": k.label,
                    "usage": k.usage,
                    "max_tries": k.max_tries,
                    "tries_left": nvm.regions[k.region][0],
                    "value_test_only": _h(nvm.read(k.region, 1, 16)),
                }
                for k in node.keys.values()
            ]
            entry["pins"] = [
                {
                    "ref": f"{p.ref:02X}",
                    "max_tries": p.max_tries,
                    "puk_max_tries": p.puk_max_tries,
                    "state_test_only": _h(nvm.read(p.region)),
                }
                for p in node.pins.values()
            ]
        else:
            assert isinstance(node, TransparentEF | RecordEF)
            entry |= {"sfi": node.sfi, "read": node.read.text(), "update": node.update.text()}
            if isinstance(node, TransparentEF):
                entry |= {"type": "transparent", "size": node.size, "hex": _h(nvm.read(node.region))}
            else:
                entry |= {"type": "cyclic" if node.cyclic else "records", "tlv": node.tlv}
                entry["records"] = [
                    {
                        "size": size,
                        "item": node.items[i] if i < len(node.items) else "",
                        "hex": _h(nvm.read(node.region, node.offset_of(i), size)),
                    }
                    for i, size in enumerate(node.record_sizes)
                ]
                if node.cyclic:
                    entry["newest_and_count"] = list(nvm.read(node.region + "#ptr"))
        files.append(entry)
    journal = nvm.snapshot()
    return {
        "format": FORMAT,
        "personality": card.personality,
        "atr": _h(card.atr),
        "t0_get_response": card.t0_get_response,
        "files": files,
        "journal": {"hex": journal["journal"], "commit_flag": journal["commit_flag"]},
    }


def _fid_path(text: str) -> list[int]:
    return [int(part, 16) for part in text.split("/")]


def tree_from_image(image: dict[str, Any]) -> DF:
    """Rebuild the file tree (structure only) from an image; raises KeyError/ValueError when malformed."""
    files = image["files"]
    root = files[0]
    if root["type"] != "DF" or root["path"] != "3F00":
        raise ValueError("first entry must be the MF 3F00")
    nodes: dict[str, DF] = {}
    mf: DF | None = None
    node: Node
    for entry in files:
        fids = _fid_path(entry["path"])
        parent_text = "/".join(entry["path"].split("/")[:-1])
        label = str(entry.get("label", ""))
        kind = entry["type"]
        if kind == "DF":
            node = df = DF(fids[-1], label=label, name=bytes.fromhex(entry.get("name", "")))
            for k in entry.get("keys", []):
                df.keys[int(k["ref"], 16)] = KeyObject(
                    int(k["ref"], 16), str(k["usage"]), "", int(k["max_tries"]), str(k.get("label", ""))
                )
            for p in entry.get("pins", []):
                df.pins[int(p["ref"], 16)] = PinObject(
                    int(p["ref"], 16), "", int(p["max_tries"]), int(p["puk_max_tries"])
                )
            nodes[entry["path"]] = df
            if mf is None:
                mf = df
                continue
        elif kind == "transparent":
            node = TransparentEF(
                fids[-1],
                label=label,
                sfi=entry.get("sfi"),
                read=Access.parse(entry["read"]),
                update=Access.parse(entry["update"]),
                size=int(entry["size"]),
            )
        elif kind in ("records", "cyclic"):
            node = RecordEF(
                fids[-1],
                label=label,
                sfi=entry.get("sfi"),
                read=Access.parse(entry["read"]),
                update=Access.parse(entry["update"]),
                cyclic=kind == "cyclic",
                tlv=bool(entry.get("tlv")),
                record_sizes=tuple(int(r["size"]) for r in entry["records"]),
                items=tuple(str(r.get("item", "")) for r in entry["records"]),
            )
        else:
            raise ValueError(f"unknown file type {kind!r}")
        nodes[parent_text].add(node)
    assert mf is not None
    return mf


def restore_contents(card: IsoCard, image: dict[str, Any]) -> None:
    """Copy contents, counters and journal from an image into a card built by :func:`tree_from_image`."""
    nvm: NonVolatileMemory = card.nvm
    allocate(nvm, card.mf)
    by_path = {node.path_text: node for node in card.mf.walk()}
    for entry in image["files"]:
        node = by_path[entry["path"]]
        if isinstance(node, DF):
            for k in entry.get("keys", []):
                key = node.keys[int(k["ref"], 16)]
                nvm.regions[key.region][:] = bytes([int(k["tries_left"])]) + bytes.fromhex(
                    k["value_test_only"]
                )
            for p in entry.get("pins", []):
                pin = node.pins[int(p["ref"], 16)]
                _fill(nvm.regions[pin.region], bytes.fromhex(p["state_test_only"]))
        elif isinstance(node, TransparentEF):
            _fill(nvm.regions[node.region], bytes.fromhex(entry["hex"]))
        elif isinstance(node, RecordEF):
            _fill(nvm.regions[node.region], b"".join(bytes.fromhex(r["hex"]) for r in entry["records"]))
            if node.cyclic:
                _fill(nvm.regions[node.region + "#ptr"], bytes(entry["newest_and_count"]))
    journal = image.get("journal", {})
    nvm.restore(
        {"regions": {}, "journal": journal.get("hex", ""), "commit_flag": journal.get("commit_flag", 0)}
    )


def _fill(region: bytearray, data: bytes) -> None:
    if len(data) != len(region):
        raise ValueError("content size differs from the file size")
    region[:] = data
