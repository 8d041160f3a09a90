"""Keyboard-wedge scanner: what a USB HID scanner types into an HIS, and a parser for that stream.

A wedge scanner "types" the decoded text followed by Enter. In the field the stream goes wrong in a
few well-known ways, each of which this parser detects and names (codes 3543-3549):

* the Enter suffix: CR, LF or CRLF; an HIS expecting CR sees CRLF as a second, empty Enter;
* caps lock on at the host: the scanner sends Shift for upper case, so every letter arrives with
  its case inverted (digits and ':' are unaffected);
* dropped characters (USB buffer overrun, scanner typing faster than the HIS reads);
* duplicated characters (key bounce / repeated key events);
* a stream that ends without Enter (the HIS keeps waiting);
* a line longer than any QR code can hold (a stuck key, a pasted file): refused undiagnosed.

Diagnosis stays linear in the line's length (REL-F3): a single-character repair is only tried when
it would reach an expected length, and equal candidates (inside a run of one character) are tried
once.

The expected text is judged by a validator (default: the national e-card QR form, qr_codec); a
fault is reported only when the text fails it, and corrected when the fix is unambiguous.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TextIO

from card_emulators.readers.errors import (
    WEDGE_BAD_CHARACTER,
    WEDGE_CAPS_INVERTED,
    WEDGE_DROPPED_CHARS,
    WEDGE_DUPLICATED_CHARS,
    WEDGE_EMPTY,
    WEDGE_NO_TERMINATOR,
    WEDGE_TOO_LONG,
    WEDGE_WRONG_TERMINATOR,
)
from card_emulators.readers.qr_scanner import medium_read_from_text
from ehc.errors import EhcError, ErrorCode
from ehc.spec.model import MediumRead
from qr_codec import text as qr_text

__all__ = [
    "ENTER",
    "WedgeScan",
    "wedge_keystrokes",
    "type_into",
    "parse_wedge_stream",
    "national_qr_form",
    "NATIONAL_QR_LENGTHS",
    "NATIONAL_QR_ALPHABET",
    "MAX_SCAN_LENGTH",
    "MAX_UNSIZED_REPAIR_LENGTH",
]

ENTER = {"CR": "\r", "LF": "\n", "CRLF": "\r\n"}
NATIONAL_QR_LENGTHS = tuple(
    sorted({e + extra for e in qr_text.DEFAULT_POLICY.ehcid_hex_lengths for extra in (2, 35)})
)


NATIONAL_QR_ALPHABET = "0123456789ABCDEF:"
# A QR code holds at most 7,089 characters (version 40-L, numeric): a longer "scan" is not one.
MAX_SCAN_LENGTH = 7089
# With no expected lengths every position must be tried (len x alphabet validator calls): only for
# lines up to this length; longer ones are judged without single-character repairs.
MAX_UNSIZED_REPAIR_LENGTH = 256


def national_qr_form(text: str) -> bool:
    """True when ``text`` has the form of a static or dynamic national code (no key needed)."""
    try:
        qr_text.parse(text)
    except EhcError:
        return False
    return True


def _invert_case(text: str) -> str:
    # Caps lock inverts only letters a scanner sends with/without Shift: ASCII letters.
    return "".join(c.swapcase() if c.isascii() and c.isalpha() else c for c in text)


def wedge_keystrokes(text: str, *, enter: str = "CR", caps_lock: bool = False) -> str:
    """The characters an HIS receives when a wedge scanner reads ``text``."""
    if enter not in ENTER:
        raise ValueError(f"enter must be one of {sorted(ENTER)}")
    return (_invert_case(text) if caps_lock else text) + ENTER[enter]


def type_into(
    stream: TextIO, text: str, *, enter: str = "CR", caps_lock: bool = False, char_delay: float = 0.0
) -> None:
    """Type ``text`` + Enter into a stream (a pty, a pipe into an HIS), optionally key by key."""
    keys = wedge_keystrokes(text, enter=enter, caps_lock=caps_lock)
    if char_delay <= 0:
        stream.write(keys)
    else:
        for key in keys:
            stream.write(key)
            stream.flush()
            time.sleep(char_delay)
    stream.flush()


@dataclass(frozen=True)
class WedgeScan:
    """One Enter-terminated chunk of the stream and what is wrong with it."""

    received: str  # as typed, Enter removed
    terminator: str  # "CR", "LF", "CRLF" or "" (stream ended first)
    faults: tuple[ErrorCode, ...]
    corrected: str | None  # the intended text when a fault could be undone, else None

    @property
    def ok(self) -> bool:
        return not self.faults

    @property
    def text(self) -> str | None:
        """The usable text: as received when fault-free, the correction otherwise (None if none)."""
        return self.received if self.ok else self.corrected

    def error(self) -> EhcError | None:
        return EhcError(self.faults[0], terminator=self.terminator) if self.faults else None

    def medium_read(self) -> MediumRead:
        """The scan as a reader output; EhcError (first fault) when it cannot be used."""
        usable = self.text
        if usable is None:
            raise self.error() or EhcError(WEDGE_EMPTY)
        return medium_read_from_text(
            usable, source="wedge", terminator=self.terminator, faults=",".join(f.name for f in self.faults)
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "received_length": len(self.received),
            "terminator": self.terminator,
            "faults": [f.name for f in self.faults],
            "corrected": self.corrected is not None,
        }


def _split(stream: str) -> list[tuple[str, str]]:
    chunks: list[tuple[str, str]] = []
    start = i = 0
    n = len(stream)
    while i < n:
        c = stream[i]
        if c == "\r" or c == "\n":
            term = (
                "CRLF" if c == "\r" and i + 1 < n and stream[i + 1] == "\n" else ("CR" if c == "\r" else "LF")
            )
            chunks.append((stream[start:i], term))
            i += 2 if term == "CRLF" else 1
            start = i
        else:
            i += 1
    if start < n:
        chunks.append((stream[start:], ""))
    return chunks


def _undo_one_duplicate(text: str, valid: Callable[[str], bool]) -> str | None:
    for i in range(1, len(text)):
        # dropping any character of a run gives the same text: try each run once
        if text[i] == text[i - 1] and (i == 1 or text[i - 2] != text[i]):
            candidate = text[:i] + text[i + 1 :]
            if valid(candidate):
                return candidate
    return None


def _one_insertion_fits(text: str, valid: Callable[[str], bool], alphabet: str) -> bool:
    # inserting c right after a c equals inserting it before that c: skip the repeat
    return any(
        valid(text[:i] + c + text[i:])
        for i in range(len(text) + 1)
        for c in alphabet
        if i == 0 or text[i - 1] != c
    )


def _one_substitution_fits(text: str, valid: Callable[[str], bool], alphabet: str) -> bool:
    return any(
        valid(text[:i] + c + text[i + 1 :]) for i in range(len(text)) for c in alphabet if c != text[i]
    )


def _diagnose(
    text: str, valid: Callable[[str], bool], lengths: Sequence[int], alphabet: str
) -> tuple[list[ErrorCode], str | None]:
    """Name the single fault that explains an invalid text, trying the likely ones first.

    ``lengths`` are the only lengths a valid text has: a repair that cannot reach one is not tried
    (this keeps the work linear). Empty = unknown: every repair is tried, for short lines only.
    """
    if valid(text):
        return [], None
    inverted = _invert_case(text)
    if inverted != text and valid(inverted):
        return [WEDGE_CAPS_INVERTED], inverted
    n = len(text)
    allowed = set(lengths) if lengths else (range(n - 1, n + 2) if n <= MAX_UNSIZED_REPAIR_LENGTH else ())
    undone = _undo_one_duplicate(text, valid) if n - 1 in allowed else None
    if undone is not None:
        return [WEDGE_DUPLICATED_CHARS], undone
    if alphabet and n + 1 in allowed and _one_insertion_fits(text, valid, alphabet):
        return [WEDGE_DROPPED_CHARS], None  # which character was lost cannot be known
    if alphabet and n in allowed and _one_substitution_fits(text, valid, alphabet):
        return [WEDGE_BAD_CHARACTER], None
    # Several faults at once: judge by length against the nearest expected length.
    if lengths:
        nearest = min(lengths, key=lambda n: (abs(n - len(text)), n))
        if len(text) < nearest:
            return [WEDGE_DROPPED_CHARS], None
        if len(text) > nearest:
            return [WEDGE_DUPLICATED_CHARS], None
    return [WEDGE_BAD_CHARACTER], None


def parse_wedge_stream(
    stream: str,
    *,
    validator: Callable[[str], bool] | None = national_qr_form,
    expected_lengths: Sequence[int] = NATIONAL_QR_LENGTHS,
    expected_enter: str | None = None,
    alphabet: str = NATIONAL_QR_ALPHABET,
    max_length: int = MAX_SCAN_LENGTH,
) -> list[WedgeScan]:
    """Split a typed stream into scans and diagnose each.

    ``validator=None`` accepts any non-empty text (opaque tokens); ``expected_enter`` ("CR", "LF",
    "CRLF") flags scans ending with another suffix, as an HIS configured for one would misread them.
    ``alphabet`` is what the expected text is made of; it lets the parser tell a lost character
    (one insertion makes the text valid) from a wrong one (one substitution does).
    ``expected_lengths`` must hold every length ``validator`` accepts (empty = unknown). A scan longer
    than ``max_length`` gets WEDGE_TOO_LONG and is not diagnosed.
    """
    if expected_enter is not None and expected_enter not in ENTER:
        raise ValueError(f"expected_enter must be one of {sorted(ENTER)}")
    scans: list[WedgeScan] = []
    for received, term in _split(stream):
        faults: list[ErrorCode]
        corrected: str | None = None
        if not received:
            faults = [WEDGE_EMPTY]
        elif len(received) > max_length:
            faults = [WEDGE_TOO_LONG]
        elif validator is None:
            faults = []
        else:
            faults, corrected = _diagnose(
                received, lambda t: _valid_or_false(validator, t), expected_lengths, alphabet
            )
        if not faults and received:
            corrected = received  # the text is fine; only the Enter may be wrong
        if not term:
            faults.append(WEDGE_NO_TERMINATOR)
        elif expected_enter is not None and term != expected_enter:
            faults.append(WEDGE_WRONG_TERMINATOR)
        scans.append(WedgeScan(received, term, tuple(faults), corrected))
    return scans


def _valid_or_false(validator: Callable[[str], bool], text: str) -> bool:
    try:
        return bool(validator(text))
    except Exception:  # a caller's validator must not crash the parser
        return False
