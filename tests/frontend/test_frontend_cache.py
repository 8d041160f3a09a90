"""The front-end's verification cache on a fake clock: bound, notices, stale answers, size."""

from __future__ import annotations

import pytest

from ehc.errors import EhcError
from reference_node.frontend.cache import VerificationCache
from reference_node.proto.ehc.node.v1 import common_pb2 as c
from reference_node.proto.ehc.node.v1 import verification_pb2 as vp


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _answer(ehcid: str, code_type: int = c.CODE_TYPE_STATIC) -> vp.VerifyResponse:
    return vp.VerifyResponse(card=c.Card(ehcid=ehcid, status=c.CARD_STATUS_NORMAL), code_type=code_type)


@pytest.fixture
def cache() -> VerificationCache:
    return VerificationCache(60, max_cards=3, max_codes=4, clock=Clock())


def test_served_within_the_bound_only(cache: VerificationCache) -> None:
    cache.accepted("A:1", _answer("A"), b"")
    assert cache.lookup("A:1").response.card.ehcid == "A"
    cache.clock.now += 60
    assert cache.lookup("A:1").age_s == 60
    cache.clock.now += 0.001
    assert cache.lookup("A:1") is None
    cache.card_status("A", c.CARD_STATUS_NORMAL)  # a poll: the node's word is fresh again
    assert cache.lookup("A:1").age_s == 0
    assert cache.lookup("B:1") is None


def test_dynamic_codes_are_never_cached(cache: VerificationCache) -> None:
    cache.accepted("A:0:V", _answer("A", c.CODE_TYPE_DYNAMIC), b"")
    assert cache.lookup("A:0:V") is None and len(cache) == 0


@pytest.mark.parametrize(
    ("status", "code"),
    [(c.CARD_STATUS_SUSPENDED, "NODE_CARD_SUSPENDED"), (c.CARD_STATUS_CANCELLED, "NODE_CARD_CANCELLED")],
)
def test_a_notice_refuses_every_code_of_the_card_at_once(
    cache: VerificationCache, status: int, code: str
) -> None:
    cache.accepted("A:1", _answer("A"), b"")
    cache.accepted("LINKED-TOKEN", _answer("A"), b"")
    cache.card_status("A", status)
    for text in ("A:1", "LINKED-TOKEN"):
        with pytest.raises(EhcError) as info:
            cache.lookup(text)
        assert info.value.code.name == code
    cache.clock.now += 3600  # a notice does not age into an acceptance
    with pytest.raises(EhcError):
        cache.lookup("A:1")


def test_a_live_refusal_is_a_notice_and_other_refusals_drop_the_code(cache: VerificationCache) -> None:
    cache.refused("A:1", "A", "NODE_CARD_SUSPENDED")  # never seen accepted: still refused from cache
    with pytest.raises(EhcError):
        cache.lookup("A:1")
    cache.accepted("B:1", _answer("B"), b"")
    cache.refused("B:1", "B", "QR_BAD_LENGTH")
    assert cache.lookup("B:1") is None


def test_an_answer_older_than_a_notice_does_not_undo_it(cache: VerificationCache) -> None:
    cache.accepted("A:1", _answer("A"), b"")
    asked = cache.clock()
    cache.clock.now += 1
    cache.card_status("A", c.CARD_STATUS_SUSPENDED)  # the poll's notice arrives first...
    cache.clock.now += 1
    cache.accepted("A:1", _answer("A"), b"", asked)  # ...then a live OK sent before it
    cache.card_status("A", c.CARD_STATUS_NORMAL, asked)  # or a poll's NORMAL sent before it
    with pytest.raises(EhcError):
        cache.lookup("A:1")
    cache.accepted("A:1", _answer("A"), b"", cache.clock())  # an answer asked after the notice counts
    assert cache.lookup("A:1") is not None


def test_sizes_are_bounded(cache: VerificationCache) -> None:
    for i in range(10):
        cache.accepted(f"{i}:1", _answer(str(i)), b"")
    assert cache.stats() == {"codes": 4, "cards": 3, "cards_refused": 0}
    assert cache.lookup("9:1") is not None and cache.lookup("0:1") is None
    assert cache.lookup("6:1") is None  # its code is held but its card state was dropped: no answer
