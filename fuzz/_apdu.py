"""The APDU-engine contract shared by the user-card and PSAM harnesses.

``CardOS.execute`` answers every byte string with data + SW1 SW2 and never raises (injected faults
aside). A handler exception becomes 6F00 with ``card.last_exception`` set: that is a crash here.
After the sequence, a power cycle must leave a card that still selects its master file.
"""

from __future__ import annotations

from _harness import Input

INTERESTING_INS = (0xA4, 0xB0, 0xD6, 0xB2, 0xDC, 0x84, 0x82, 0x88, 0x20, 0x24, 0x2C, 0xC0, 0xDE, 0xFA, 0x2A)
CLASSES = (0x00, 0x04, 0x80, 0x84, 0x0C, 0x08, 0x01, 0xFF)


#: ISO/IEC 7816-4 SW1 values a card may answer (6F = "no precise diagnosis" is only ever an
#: engine exception here, caught above).
DEFINED_SW1 = {0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x90}


class CardCrash(AssertionError):
    """The card engine broke its contract (an exception, or a malformed response)."""


def structured_apdu(inp: Input) -> bytes:
    cla = inp.pick(CLASSES) if inp.byte() & 1 else inp.byte()
    ins = inp.pick(INTERESTING_INS) if inp.byte() & 3 else inp.byte()
    p1, p2 = inp.byte(), inp.byte()
    shape = inp.byte() % 6
    data = inp.chunk(255)
    if shape == 0:
        return bytes([cla, ins, p1, p2])
    if shape == 1:
        return bytes([cla, ins, p1, p2, inp.byte()])  # case 2: Le
    if shape == 2:
        return bytes([cla, ins, p1, p2, len(data)]) + data  # case 3
    if shape == 3:
        return bytes([cla, ins, p1, p2, len(data)]) + data + bytes([inp.byte()])  # case 4
    if shape == 4:  # extended length
        return bytes([cla, ins, p1, p2, 0, len(data) >> 8, len(data) & 0xFF]) + data + bytes([0, inp.byte()])
    return bytes([cla, ins, p1, p2]) + inp.chunk(300)  # raw tail: Lc lies


def send(card, apdu: bytes) -> bytes:  # noqa: ANN001
    resp = card.execute(apdu)
    if card.last_exception is not None:
        exc, card.last_exception = card.last_exception, None
        raise CardCrash(f"handler exception on {apdu.hex()}: {exc!r}") from exc
    if not isinstance(resp, bytes) or len(resp) < 2:
        raise CardCrash(f"malformed response {resp!r} to {apdu.hex()}")
    if resp[-2] not in DEFINED_SW1:
        raise CardCrash(f"undefined status word {resp[-2:].hex()} to {apdu.hex()}")
    return resp


def run_sequence(card, inp: Input, master_fid: bytes) -> None:  # noqa: ANN001
    for _ in range(1 + inp.byte() % 6):
        if inp.remaining() <= 0:
            break
        apdu = structured_apdu(inp) if inp.byte() & 1 else inp.chunk(300)
        send(card, apdu)
    card.powerDown()
    card.powerUp()
    sw = send(card, bytes.fromhex("00A4000002") + master_fid)[-2:]
    if sw[0] not in (0x90, 0x61):
        raise CardCrash(f"card no longer selects {master_fid.hex()} after the sequence: {sw.hex()}")
