"""The standard ISO/IEC 7816-4 command handlers: one small function per INS.

Each handler takes the card and the parsed command, returns the response data (the engine applies
the Le rules) or a :class:`Reply`, and raises :class:`StatusError` to answer an error status word.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from card_emulators.engine import scheme
from card_emulators.engine.apdu import SW, Command, Reply, StatusError
from card_emulators.engine.filesystem import DF, EF, Access, Node, RecordEF, TransparentEF
from card_emulators.engine.security import (
    check_pin_format,
    key_tries,
    key_value,
    pin_state,
    set_pin,
    spend_try,
)

if TYPE_CHECKING:
    from card_emulators.engine.card import Handler

__all__ = ["STANDARD_HANDLERS", "check_access", "fci"]

PLAIN = frozenset({0x00})
PLAIN_OR_SM = frozenset({0x00, 0x04})


# ------------------------------------------------------------------------------------ selection
def fci(node: Node) -> bytes:
    """FCI template: 6F { 83 FID, 84 DF name (if any) }."""
    name = bytes(node.name) if isinstance(node, DF) else b""  # bytes: a bytearray name is no dict key
    key = (node.fid, name)
    cached = _FCI_CACHE.get(key)
    if cached is None:
        body = bytes([0x83, 0x02]) + node.fid.to_bytes(2, "big")
        if name:
            body += bytes([0x84, len(name)]) + name
        cached = bytes([0x6F, len(body)]) + body
        if len(_FCI_CACHE) >= 4096:  # bounded: fuzzed trees must not grow it without limit
            _FCI_CACHE.clear()
        _FCI_CACHE[key] = cached
    return cached


# FCI by (FID, DF name): the value depends on nothing else, so a renamed DF simply gets a new entry.
_FCI_CACHE: dict[tuple[int, bytes], bytes] = {}


def _child(df: DF, fid: int) -> Node | None:
    return df.children.get(fid)


def _select_by_fid(card, fid: int) -> Node | None:
    """P1=00: MF; the current DF itself; a child of the current DF; the parent DF; a sibling DF."""
    cur: DF = card.current_df
    if fid == 0x3F00:
        return card.mf
    if fid == cur.fid:
        return cur
    child = _child(cur, fid)
    if child is not None:
        return child
    parent = cur.parent
    if parent is not None:
        if fid == parent.fid:
            return parent
        sibling = parent.children.get(fid)
        if isinstance(sibling, DF):
            return sibling
    return None


def _walk_path(start: DF, data: bytes) -> Node | None:
    node: Node = start
    for i in range(0, len(data), 2):
        fid = int.from_bytes(data[i : i + 2], "big")
        if not isinstance(node, DF):
            return None
        nxt = node.children.get(fid)
        if nxt is None:
            return None
        node = nxt
    return node


def _select_other(card, p1: int, data: bytes) -> Node | None:
    """Every SELECT but P1=00 with a FID: MF, child DF/EF, parent, DF name, paths."""
    if p1 in (0x00, 0x01, 0x02, 0x08, 0x09) and (len(data) % 2 or (p1 != 0x00 and not data)):
        raise StatusError(SW.WRONG_LENGTH)
    node: Node | None
    if p1 == 0x00:
        if not data:
            node = card.mf
        else:
            raise StatusError(SW.WRONG_LENGTH)
    elif p1 in (0x01, 0x02):
        if len(data) != 2:
            raise StatusError(SW.WRONG_LENGTH)
        node = _child(card.current_df, int.from_bytes(data, "big"))
        if node is not None and isinstance(node, DF) != (p1 == 0x01):
            node = None
    elif p1 == 0x03:
        if data:
            raise StatusError(SW.WRONG_LENGTH)
        node = card.current_df.parent
    elif p1 == 0x04:
        if not 1 <= len(data) <= 16:
            raise StatusError(SW.WRONG_LENGTH)
        node = next((n for n in card.mf.walk() if isinstance(n, DF) and n.name and n.name == data), None)
    elif p1 == 0x08:
        if data[:2] == b"\x3f\x00":  # tolerate a path that repeats the MF
            data = data[2:]
        node = _walk_path(card.mf, data) if data else card.mf
    elif p1 == 0x09:
        node = _walk_path(card.current_df, data)
    else:
        raise StatusError(SW.WRONG_P1P2)
    return node


def select(card, cmd: Command) -> bytes:
    p1, p2, data = cmd.p1, cmd.p2, cmd.data
    if p2 not in (0x00, 0x04, 0x0C):
        raise StatusError(SW.WRONG_P1P2)
    node: Node | None
    if p1 == 0x00 and len(data) == 2:  # by FID, what terminals send most: straight to the lookup
        node = _select_by_fid(card, int.from_bytes(data, "big"))
    else:
        node = _select_other(card, p1, data)
    if node is None:
        raise StatusError(SW.FILE_NOT_FOUND)
    if isinstance(node, DF):
        card.set_current_df(node)
        return b"" if p2 == 0x0C else fci(node)
    assert node.parent is not None and isinstance(node, EF)
    if node.parent is not card.current_df:
        card.set_current_df(node.parent)
    card.current_ef = node
    return b""


# ------------------------------------------------------------------------------------ access
def check_access(card, ef: EF, access: Access, sm_verified: bool) -> None:
    """Raise 6982 (security status) / 6987 (SM required) unless ``access`` is satisfied."""
    if access.kind == "never":
        raise StatusError(SW.SECURITY_STATUS)
    parent = ef.parent
    assert parent is not None
    if access.kind in ("auth", "pin"):
        ref = access.key if access.key is not None else 0
        found = parent.find_key(ref) if access.kind == "auth" else parent.find_pin(ref)
        if found is None or (found[0].path, access.kind, ref) not in card.security:
            raise StatusError(SW.SECURITY_STATUS)
    if access.sm_key is not None and not sm_verified:
        raise StatusError(SW.SM_MISSING)


def _ef_for(card, sfi: int) -> EF:
    """Current EF, or (sfi != 0) the EF with that short id under the current DF, made current."""
    if sfi:
        for child in card.current_df.children.values():
            if isinstance(child, EF) and child.sfi == sfi:
                card.current_ef = child
                return child
        raise StatusError(SW.FILE_NOT_FOUND)
    if card.current_ef is None:
        raise StatusError(SW.NO_CURRENT_EF)
    return card.current_ef


def _sm_plain(card, cmd: Command, ef: EF, access: Access) -> tuple[bytes, bool]:
    """For CLA 04: verify and decrypt the SM body with the session key of the file's SM key."""
    if cmd.cla != 0x04:
        return cmd.data, False
    parent = ef.parent
    assert parent is not None
    found = parent.find_key(access.sm_key) if access.sm_key is not None else None
    if found is None:
        found = next(
            ((df, k) for df in parent.ancestors_and_self() for k in df.keys.values() if k.usage == "sm"), None
        )
    if found is None:
        raise StatusError(SW.SM_NOT_SUPPORTED)
    if card.challenge is None or len(card.challenge) != 8:
        raise StatusError(SW.CONDITIONS)
    session = scheme.diversify(key_value(card, found[1]), card.challenge)
    card.challenge = None  # one secure-messaging command per challenge
    header = bytes([cmd.cla, cmd.ins, cmd.p1, cmd.p2])
    try:
        return scheme.sm_unwrap(session, header, cmd.data), True
    except scheme.SmError:
        raise StatusError(SW.SM_BAD) from None


# ------------------------------------------------------------------------------------ binary
def _binary_target(card, cmd: Command) -> tuple[TransparentEF, int]:
    if cmd.p1 & 0x80:
        if cmd.p1 & 0x60:
            raise StatusError(SW.WRONG_P1P2)
        ef = _ef_for(card, cmd.p1 & 0x1F)
        offset = cmd.p2
    else:
        ef = _ef_for(card, 0)
        offset = cmd.p1p2
    if not isinstance(ef, TransparentEF):
        raise StatusError(SW.FILE_INCOMPATIBLE)
    return ef, offset


def read_binary(card, cmd: Command) -> bytes:
    if cmd.data:
        raise StatusError(SW.WRONG_LENGTH)
    ef, offset = _binary_target(card, cmd)
    check_access(card, ef, ef.read, False)
    if offset >= ef.size:
        raise StatusError(SW.WRONG_P1P2_OFFSET)
    available = ef.size - offset
    le = 256 if cmd.le is None else cmd.le
    if le in (256, 65536):
        n = min(available, le)
    elif le > available:
        raise StatusError(SW.WRONG_LE | min(available, 255))
    else:
        n = le
    return card.nvm.read(ef.region, offset, n)


def update_binary(card, cmd: Command) -> bytes:
    ef, offset = _binary_target(card, cmd)
    plain, sm_ok = _sm_plain(card, cmd, ef, ef.update)
    check_access(card, ef, ef.update, sm_ok)
    if not plain:
        raise StatusError(SW.WRONG_LENGTH)
    if offset >= ef.size:
        raise StatusError(SW.WRONG_P1P2_OFFSET)
    if offset + len(plain) > ef.size:
        raise StatusError(SW.WRONG_LENGTH)
    card.write([(ef.region, offset, plain)])
    return b""


# ------------------------------------------------------------------------------------ records
def _record_ef(card, cmd: Command) -> RecordEF:
    ef = _ef_for(card, cmd.p2 >> 3)
    if not isinstance(ef, RecordEF):
        raise StatusError(SW.FILE_INCOMPATIBLE)
    return ef


def cyclic_pointer(card, ef: RecordEF) -> tuple[int, int]:
    ptr = card.nvm.regions[ef.region + "#ptr"]
    return ptr[0], ptr[1]


def record_index(card, ef: RecordEF, number: int) -> int:
    """Physical index of record ``number`` (1-based; cyclic: 1 = most recent). 6A83 if absent."""
    n = len(ef.record_sizes)
    if not 1 <= number <= n:
        raise StatusError(SW.RECORD_NOT_FOUND)
    if not ef.cyclic:
        return number - 1
    newest, count = cyclic_pointer(card, ef)
    if number > count:
        raise StatusError(SW.RECORD_NOT_FOUND)
    return (newest - (number - 1)) % n


def read_record_bytes(card, ef: RecordEF, index: int) -> bytes:
    return card.nvm.read(ef.region, ef.offset_of(index), ef.record_sizes[index])


def read_record(card, cmd: Command) -> bytes:
    if cmd.data:
        raise StatusError(SW.WRONG_LENGTH)
    mode = cmd.p2 & 0x07
    if mode not in (0x00, 0x04):
        raise StatusError(SW.WRONG_P1P2)
    ef = _record_ef(card, cmd)
    check_access(card, ef, ef.read, False)
    if mode == 0x04:
        if cmd.p1 == 0:
            raise StatusError(SW.WRONG_P1P2)  # no record pointer: P1=00 (current record) unsupported
        return read_record_bytes(card, ef, record_index(card, ef, cmd.p1))
    # P2 mode 0: the record whose TLV tag is P1 (DIGEST §2.2: 00 B2 39 00 05 reads item 57)
    if not ef.tlv:
        raise StatusError(SW.FILE_INCOMPATIBLE)
    region = card.nvm.regions[ef.region]
    offset = 0  # a running sum, not offset_of per record (that made the search quadratic)
    for size in ef.record_sizes:
        if size and region[offset] == cmd.p1:
            return bytes(region[offset : offset + size])
        offset += size
    raise StatusError(SW.RECORD_NOT_FOUND)


def update_record(card, cmd: Command) -> bytes:
    mode = cmd.p2 & 0x07
    if mode not in (0x03, 0x04):
        raise StatusError(SW.WRONG_P1P2)
    ef = _record_ef(card, cmd)
    plain, sm_ok = _sm_plain(card, cmd, ef, ef.update)
    check_access(card, ef, ef.update, sm_ok)
    n = len(ef.record_sizes)
    if mode == 0x03:  # append to a cyclic file: the oldest record becomes record 1
        if not ef.cyclic:
            raise StatusError(SW.FILE_INCOMPATIBLE)
        if cmd.p1 != 0:
            raise StatusError(SW.WRONG_P1P2)
        newest, count = cyclic_pointer(card, ef)
        index = (newest + 1) % n if count else 0
        extra = [(ef.region + "#ptr", 0, bytes([index, min(count + 1, n)]))]
    else:
        if cmd.p1 == 0:
            raise StatusError(SW.WRONG_P1P2)
        index = record_index(card, ef, cmd.p1)
        extra = []
    size = ef.record_sizes[index]
    if len(plain) != size:
        raise StatusError(SW.WRONG_LENGTH)
    if ef.tlv:
        old_tag = card.nvm.regions[ef.region][ef.offset_of(index)]
        if plain[0] != old_tag or plain[1] != size - 2:
            raise StatusError(SW.WRONG_DATA)
    card.write([(ef.region, ef.offset_of(index), plain), *extra])
    return b""


# ------------------------------------------------------------------------------------ security
def get_challenge(card, cmd: Command) -> bytes:
    if cmd.p1p2 != 0 or cmd.data:
        raise StatusError(SW.WRONG_P1P2 if cmd.p1p2 else SW.WRONG_LENGTH)
    if cmd.le not in (4, 8, 256):
        raise StatusError(SW.WRONG_LENGTH)
    n = 4 if cmd.le == 4 else 8
    rnd = card.random(n)
    card.challenge = rnd + bytes(8 - n)  # a 4-byte challenge is used zero-extended
    return rnd


def external_authenticate(card, cmd: Command) -> bytes:
    if cmd.p1 != 0x00:
        raise StatusError(SW.WRONG_P1P2)
    if len(cmd.data) != 17:
        raise StatusError(SW.WRONG_LENGTH)
    if cmd.data[16] != 0x01:
        raise StatusError(SW.WRONG_DATA)
    found = card.current_df.find_key(cmd.p2)
    if found is None or found[1].usage != "ext":
        raise StatusError(SW.REF_DATA_NOT_FOUND)
    df, key = found
    if key_tries(card, key) == 0:
        raise StatusError(SW.AUTH_BLOCKED)
    challenge, card.challenge = card.challenge, None  # one attempt per challenge
    if challenge is None:
        raise StatusError(SW.CONDITIONS)
    cryptogram, terminal_random = cmd.data[:8], cmd.data[8:16]
    expected = scheme.auth_cryptogram(key_value(card, key), challenge, terminal_random)
    spend_try(card, key.region, 0, expected, cryptogram, key.max_tries)
    card.security.add((df.path, "auth", key.ref))
    return b""


def internal_authenticate(card, cmd: Command) -> bytes:
    if cmd.p1 != 0x00:
        raise StatusError(SW.WRONG_P1P2)
    if len(cmd.data) != 8:
        raise StatusError(SW.WRONG_LENGTH)
    found = card.current_df.find_key(cmd.p2)
    if found is None or found[1].usage != "int":
        raise StatusError(SW.REF_DATA_NOT_FOUND)
    return scheme.auth_cryptogram(key_value(card, found[1]), cmd.data, cmd.data)


def _pin(card, cmd: Command, p1_allowed: tuple[int, ...] = (0x00,)):
    if cmd.p1 not in p1_allowed:
        raise StatusError(SW.WRONG_P1P2)
    found = card.current_df.find_pin(cmd.p2)
    if found is None:
        raise StatusError(SW.REF_DATA_NOT_FOUND)
    return found


def verify(card, cmd: Command) -> bytes:
    df, pin = _pin(card, cmd)
    tries, stored, _, _ = pin_state(card, pin)
    if not cmd.data:  # retry-counter query
        raise StatusError(SW.AUTH_BLOCKED if tries == 0 else SW.WARN_TRIES | tries)
    given = check_pin_format(cmd.data, 6)
    card.security.discard((df.path, "pin", pin.ref))
    spend_try(card, pin.region, 0, stored, given, pin.max_tries)
    card.security.add((df.path, "pin", pin.ref))
    return b""


def _split_ff(data: bytes) -> tuple[bytes, bytes]:
    sep = data.find(b"\xff")
    if sep < 0:
        raise StatusError(SW.WRONG_DATA)
    return data[:sep], data[sep + 1 :]


def change_reference_data(card, cmd: Command) -> bytes:
    """``00 24 00 <ref> Lc <old PIN> FF <new PIN>`` (PBOC-style separator: PIN lengths vary)."""
    df, pin = _pin(card, cmd)
    old, new = _split_ff(cmd.data)
    old_block, new_block = check_pin_format(old, 6), check_pin_format(new, 6)
    _, stored, _, _ = pin_state(card, pin)
    spend_try(card, pin.region, 0, stored, old_block, pin.max_tries)
    set_pin(card, pin, value=new_block)
    card.security.add((df.path, "pin", pin.ref))
    return b""


def reset_retry_counter(card, cmd: Command) -> bytes:
    """``00 2C 00 <ref> Lc <PUK> FF <new PIN>`` or ``00 2C 01 <ref> Lc <PUK>``."""
    _, pin = _pin(card, cmd, (0x00, 0x01))
    puk_given, new = _split_ff(cmd.data) if cmd.p1 == 0x00 else (cmd.data, b"")
    puk_block = check_pin_format(puk_given, 8)
    new_block = check_pin_format(new, 6) if cmd.p1 == 0x00 else None
    _, _, _, puk = pin_state(card, pin)
    spend_try(card, pin.region, 8, puk, puk_block, pin.puk_max_tries)
    set_pin(card, pin, value=new_block, pin_tries=pin.max_tries)
    return b""


def get_response(card, cmd: Command) -> Reply:
    if cmd.p1p2 != 0:
        raise StatusError(SW.WRONG_P1P2)
    if not card.pending:
        raise StatusError(SW.CONDITIONS)
    avail = len(card.pending)
    le = 256 if cmd.le is None else cmd.le
    if le not in (256, 65536) and le > avail:
        raise StatusError(SW.WRONG_LE | min(avail, 255))
    n = min(le, avail, 256) if le != 65536 else avail
    out, card.pending = card.pending[:n], card.pending[n:]
    if card.pending:
        return Reply(out, SW.MORE_DATA | min(len(card.pending), 256) % 256)
    return Reply(out, SW.OK)


STANDARD_HANDLERS: dict[int, tuple[Handler, frozenset[int]]] = {
    0xA4: (select, PLAIN),
    0xB0: (read_binary, PLAIN),
    0xD6: (update_binary, PLAIN_OR_SM),
    0xB2: (read_record, PLAIN),
    0xDC: (update_record, PLAIN_OR_SM),
    0x84: (get_challenge, PLAIN),
    0x82: (external_authenticate, PLAIN),
    0x88: (internal_authenticate, PLAIN),
    0x20: (verify, PLAIN),
    0x24: (change_reference_data, PLAIN),
    0x2C: (reset_retry_counter, PLAIN),
    0xC0: (get_response, PLAIN),
}
