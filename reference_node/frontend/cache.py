"""What the front-end may answer without the city node: static-code verifications, bounded.

Rules (docs/frontend.md, "Cache bounds"):

* only a STATIC code the node verified (code_type STATIC in its answer) is cached, keyed by the
  exact code text; dynamic codes are never cached (single-use counters live in the node);
* a card's cached answers are served only while the card's last upstream confirmation (a live
  verification or a status poll saying NORMAL) is at most ``max_age_s`` old;
* a refusal notice (the node refused the card as suspended, cancelled or superseded, in a live
  verification or a poll) stops every cached answer for that card at once: from then on the cache
  answers with the refusal until the node says NORMAL again. Never an acceptance beyond a notice;
* any other refusal of a code by the node drops that code from the cache;
* at most ``max_cards`` cards and ``max_codes`` code texts are held (least recently used dropped).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from ehc.errors import EhcError, ErrorCode
from reference_node.errors import CARD_CANCELLED, CARD_SUPERSEDED, CARD_SUSPENDED
from reference_node.proto.ehc.node.v1 import common_pb2 as c
from reference_node.proto.ehc.node.v1 import verification_pb2 as vp

NORMAL = c.CARD_STATUS_NORMAL
REFUSAL_BY_STATUS: dict[int, ErrorCode] = {  # CardStatus number -> the refusal
    c.CARD_STATUS_SUSPENDED: CARD_SUSPENDED,
    c.CARD_STATUS_CANCELLED: CARD_CANCELLED,
    c.CARD_STATUS_SUPERSEDED: CARD_SUPERSEDED,
}
STATUS_BY_REFUSAL = {code.name: status for status, code in REFUSAL_BY_STATUS.items()}


@dataclass(slots=True)
class CardState:
    status: int
    confirmed_at: float  # clock() of the node's last word on this card
    probe_text: str = ""  # a static code of the card, for a status probe by verification
    probe_context: bytes = b""  # the upstream TerminalContext of the last live verification
    poll_by: str = "getcard"  # "getcard", or "verify" once GetCard was refused for this card
    probe_terminal: str = ""  # H7: the local terminal of that verification, named upstream by polls


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    response: vp.VerifyResponse
    age_s: float


class VerificationCache:
    def __init__(
        self,
        max_age_s: float,
        *,
        max_cards: int = 1000,
        max_codes: int = 4000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_age_s = max_age_s
        self.max_cards = max_cards
        self.max_codes = max_codes
        self.clock = clock
        self._codes: OrderedDict[str, tuple[str, bytes | None]] = OrderedDict()  # text -> (ehcid, answer)
        self._cards: OrderedDict[str, CardState] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._codes)

    # ------------------------------------------------------------ what the node said
    def accepted(
        self,
        qr_text: str,
        response: vp.VerifyResponse,
        upstream_context: bytes,
        asked_at: float | None = None,
        *,
        terminal: str = "",
    ) -> None:
        """A live verification the node accepted: cache it if the code is static. ``asked_at``
        (``clock()`` when the call was sent): a refusal notice that arrived since wins."""
        if response.code_type != c.CODE_TYPE_STATIC or not response.card.ehcid:
            return
        ehcid = response.card.ehcid
        with self._lock:
            if self._stale(ehcid, asked_at):
                return
            self._codes[qr_text] = (ehcid, response.SerializeToString())
            self._codes.move_to_end(qr_text)
            self._cards[ehcid] = CardState(
                NORMAL, self.clock(), qr_text, upstream_context, "getcard", terminal
            )
            self._cards.move_to_end(ehcid)
            self._trim()

    def refused(self, qr_text: str, ehcid: str, code_name: str) -> None:
        """A live verification the node refused. A card refusal becomes a notice on the card (the
        code text is kept so later lookups of it are refused from cache); anything else drops it."""
        status = STATUS_BY_REFUSAL.get(code_name)
        with self._lock:
            known = self._codes.get(qr_text)
            ehcid = ehcid or (known[0] if known else "")
            if status is None or not ehcid:
                self._codes.pop(qr_text, None)
                return
            self._codes[qr_text] = (ehcid, known[1] if known else None)
            self._notice(ehcid, status)
            self._trim()

    def card_status(self, ehcid: str, status: int, asked_at: float | None = None) -> None:
        """A status poll's answer (GetCard, or a probe verification); ``asked_at`` as for ``accepted``."""
        with self._lock:
            state = self._cards.get(ehcid)
            if state is None:
                return
            if status == NORMAL:
                if self._stale(ehcid, asked_at):
                    return
                state.status, state.confirmed_at = NORMAL, self.clock()
            else:
                self._notice(ehcid, status)

    def forget_code(self, qr_text: str) -> None:
        with self._lock:
            self._codes.pop(qr_text, None)

    def use_verify_probe(self, ehcid: str) -> None:
        with self._lock:
            if ehcid in self._cards:
                self._cards[ehcid].poll_by = "verify"

    def _stale(self, ehcid: str, asked_at: float | None) -> bool:
        """True when a NORMAL answer to a call sent at ``asked_at`` is older than a refusal notice
        (the node's answers may overtake each other: poll and live verification run in parallel)."""
        state = self._cards.get(ehcid)
        return (
            asked_at is not None
            and state is not None
            and state.status != NORMAL
            and state.confirmed_at > asked_at
        )

    def _notice(self, ehcid: str, status: int) -> None:
        state = self._cards.get(ehcid)
        if state is None:
            state = self._cards[ehcid] = CardState(status, self.clock())
        state.status, state.confirmed_at = status, self.clock()
        self._cards.move_to_end(ehcid)

    def _trim(self) -> None:
        while len(self._codes) > self.max_codes:
            self._codes.popitem(last=False)
        while len(self._cards) > self.max_cards:
            # dropping a card state drops the ability to answer for it (lookup needs the state)
            self._cards.popitem(last=False)

    # ------------------------------------------------------------ answering
    def lookup(self, qr_text: str) -> CachedAnswer | None:
        """The cached answer for a code while the node is unreachable: a response, None (nothing
        within the bound: the caller must fail), or EhcError raised (a refusal notice)."""
        with self._lock:
            entry = self._codes.get(qr_text)
            if entry is None:
                return None
            ehcid, answer = entry
            state = self._cards.get(ehcid)
            if state is None:
                return None
            if state.status != NORMAL:
                raise EhcError(
                    REFUSAL_BY_STATUS.get(state.status, CARD_SUSPENDED), "refused from the front-end cache"
                )
            age = self.clock() - state.confirmed_at
            if answer is None or age > self.max_age_s:
                return None
            self._codes.move_to_end(qr_text)
        return CachedAnswer(vp.VerifyResponse.FromString(answer), age)

    def to_poll(self) -> list[tuple[str, CardState]]:
        """Cards whose cached answers could still be served (NORMAL), with a copy of their state."""
        with self._lock:
            return [
                (
                    ehcid,
                    CardState(
                        s.status, s.confirmed_at, s.probe_text, s.probe_context, s.poll_by, s.probe_terminal
                    ),
                )
                for ehcid, s in self._cards.items()
                if s.status == NORMAL
            ]

    def stats(self) -> dict[str, int]:
        with self._lock:
            refused = sum(1 for s in self._cards.values() if s.status != NORMAL)
            return {"codes": len(self._codes), "cards": len(self._cards), "cards_refused": refused}
