"""Reading the card-side transcript: what the user card and the PSAM received, as the kit saw it.

The kit hosts both cards, so these facts do not depend on anything the terminal reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FREE_EFS = {0xEF05}  # the only file a terminal may read before EXTERNAL AUTHENTICATE (DIGEST §2.3)
DF_FIDS = {0x3F00, 0xDDF1}
READ_INS = {0xB0, 0xB2}


def _sw(event: Any) -> int:
    return int.from_bytes(event.response[-2:], "big") if len(event.response) >= 2 else -1


def _ok(event: Any) -> bool:
    sw = _sw(event)
    return sw == 0x9000 or (sw >> 8) == 0x61


@dataclass
class CardAccess:
    """The user card's view of one insertion."""

    authenticated_at: list[int]  # indexes of EXTERNAL AUTHENTICATE answered 9000
    auth_attempts: list[int]  # indexes of every EXTERNAL AUTHENTICATE
    protected_reads: list[tuple[int, int, bool]]  # (index, file, authenticated) of reads outside EF05
    early_reads: list[str]  # reads of a protected file before a successful authentication
    apdus: list[Any]

    def holder_reads_after_auth(self) -> int:
        return sum(1 for _, fid, auth in self.protected_reads if fid == 0xEF06 and auth)


def card_access(events: list[Any]) -> CardAccess:
    """Walk the user card's APDUs in order: which file each read addressed, and whether a
    successful EXTERNAL AUTHENTICATE came first (a reset clears it, as on the card)."""
    apdus: list[Any] = []
    authenticated = False
    current_ef: int | None = None
    out = CardAccess([], [], [], [], apdus)
    for event in events:
        if event.slot != "card":
            continue
        if event.kind in ("reset", "power_off", "removed"):
            authenticated, current_ef = False, None
            continue
        if event.kind != "apdu" or len(event.command) < 4:
            continue
        index = len(apdus)
        apdus.append(event)
        ins, p2 = event.command[1], event.command[3]
        if ins == 0xA4 and len(event.command) >= 7 and event.command[4] == 2:
            fid: int | None = int.from_bytes(event.command[5:7], "big")
            if _ok(event):
                current_ef = None if fid in DF_FIDS else fid
        elif ins == 0x82:
            out.auth_attempts.append(index)
            if _sw(event) == 0x9000:
                authenticated = True
                out.authenticated_at.append(index)
        elif ins in READ_INS:
            p1 = event.command[2]
            # short EF identifier: READ RECORD P2 bits 8-4, READ BINARY P1 bits 5-1 when bit 8 is set
            sfi = p2 >> 3 if ins == 0xB2 else (p1 & 0x1F if p1 & 0x80 else 0)
            fid = (0xEF00 | sfi) if sfi else current_ef
            if fid in FREE_EFS:
                continue
            out.protected_reads.append((index, fid if fid is not None else -1, authenticated))
            if not authenticated:
                name = f"{fid:04X}" if fid is not None else "no file selected"
                out.early_reads.append(
                    f"APDU #{index + 1} {event.command[:4].hex().upper()} read {name} before EXTERNAL "
                    f"AUTHENTICATE (card answered {_sw(event):04X})"
                )
    return out


def psam_apdus(events: list[Any]) -> list[Any]:
    return [e for e in events if e.slot == "psam" and e.kind == "apdu"]


def exchanges(events: list[Any], slot: str) -> list[tuple[bytes, bytes, int]]:
    """(command, data, final SW) of every command ``slot`` received, in order; a 61xx answer is
    joined with the data of the GET RESPONSE that followed it (the terminal's T=0 view)."""
    return [(c, d, s) for _, c, d, s in _timeline(events, slot)]


def _timeline(events: list[Any], slot: str) -> list[tuple[int, bytes, bytes, int]]:
    """``exchanges`` with each command's position in ``events`` (both slots share one clock)."""
    out: list[list[Any]] = []
    for position, event in enumerate(events):
        if event.slot != slot:
            continue
        if event.kind != "apdu":
            out.append([position, b"", b"", -1])  # a reset or removal ends any pending answer
            continue
        command, response = bytes(event.command), bytes(event.response)
        sw = _sw(event)
        previous = out[-1] if out else None
        if len(command) >= 2 and command[1] == 0xC0 and previous is not None and previous[3] >> 8 == 0x61:
            previous[2] += response[:-2]
            previous[3] = sw
            continue
        out.append([position, command, response[:-2], sw])
    return [(p, c, d, s) for p, c, d, s in out if c]


def _body(command: bytes) -> bytes:
    return command[5 : 5 + command[4]] if len(command) > 5 else b""


def _fold(block: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(block[:8], block[8:], strict=True))


def cryptograms_not_from_psam(events: list[Any]) -> list[str]:
    """Every EXTERNAL AUTHENTICATE — accepted or refused — must carry a cryptogram the PSAM made
    for that card challenge (DIGEST §2.3): after the card's last GET CHALLENGE and before the
    EXTERNAL AUTHENTICATE, a DELIVER KEY whose data ends with that challenge, then a CIPHER DATA
    of the terminal random || 00x8 whose 16-byte answer folds (XOR of the halves) to the
    cryptogram. A terminal that computes it itself (master keys outside any security module) sends
    other traffic to the PSAM, or none, or decoys whose answer it throws away: the kit's cards and
    PSAM carry keys made for this run, so its own cryptogram differs from the PSAM's and the card
    refuses it — a refused cryptogram the PSAM did not make is the trace it leaves, even when it
    then falls back on the PSAM."""
    psam = _timeline(events, "psam")
    problems = []
    challenge, challenge_at = b"", -1
    for number, (position, command, data, sw) in enumerate(_timeline(events, "card"), 1):
        if len(command) >= 2 and command[1] == 0x84 and sw == 0x9000:
            challenge, challenge_at = data[:8], position
        if len(command) < 2 or command[1] != 0x82:
            continue
        body = _body(command)
        cryptogram, terminal_random = body[:8], body[8:16]
        delivered = b""
        made = False
        for p_position, p_command, p_data, p_sw in psam:
            if not challenge_at < p_position < position or len(p_command) < 4 or p_sw != 0x9000:
                continue
            if p_command[:2] == b"\x80\xde":
                delivered = _body(p_command)
            elif (
                p_command[:4] == b"\x80\xfa\x00\x00"
                and _body(p_command) == terminal_random + bytes(8)
                and len(p_data) == 16
                and _fold(p_data) == cryptogram
                and challenge
                and delivered.endswith(challenge)
            ):
                made = True
        if not made:
            outcome = "succeeded" if sw == 0x9000 else f"answered {sw:04X}"
            problems.append(
                f"card command #{number} EXTERNAL AUTHENTICATE ({outcome}) carried a cryptogram the PSAM did "
                "not make for the card's challenge (no DELIVER KEY with that challenge followed by a CIPHER "
                "DATA of the terminal random folding to it, between the GET CHALLENGE and the EXTERNAL "
                "AUTHENTICATE)"
            )
    return problems
