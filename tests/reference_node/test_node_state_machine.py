"""A card's life against a model (Hypothesis RuleBasedStateMachine), over real gRPC:
register → QR → verify → suspend → verify refused → resume → cancel; newborn → upgrade; merge/unmerge."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import grpc
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from node_helpers import birth_certificate, citizen_id, register_request

from reference_node.client import NodeClient, error_of
from reference_node.proto.ehc.node.v1 import issuance_pb2 as ip
from reference_node.proto.ehc.node.v1 import main_index_pb2 as mp
from reference_node.proto.ehc.node.v1 import verification_pb2 as vp

NORMAL, SUSPENDED, CANCELLED, SUPERSEDED = 1, 2, 3, 4
REFUSAL = {
    SUSPENDED: "NODE_CARD_SUSPENDED",
    CANCELLED: "NODE_CARD_CANCELLED",
    SUPERSEDED: "NODE_CARD_SUPERSEDED",
}


@dataclass
class ModelCard:
    ehcid: str
    owner: str  # main index
    status: int = NORMAL
    temporary: bool = False
    birth: str = ""
    dynamic: list[tuple[str, int]] = field(default_factory=list)  # (qr text, remaining)


def _code(call) -> str:  # noqa: ANN001
    try:
        call()
    except grpc.RpcError as exc:
        return error_of(exc).code.name
    return "OK"


class CardLife(RuleBasedStateMachine):
    client: NodeClient

    cards = Bundle("cards")

    def __init__(self) -> None:
        super().__init__()
        self.model: dict[str, ModelCard] = {}
        self.merged: dict[str, str] = {}  # merged main index -> survivor
        self.merges: list[tuple[str, str, str]] = []  # (merge id, survivor, merged)
        self.guardian = ""

    def owner(self, mi: str) -> str:
        while mi in self.merged:
            mi = self.merged[mi]
        return mi

    @initialize(target=cards)
    def first(self) -> str:
        return self._register()

    def _register(self) -> str:
        reg = self.client.issuance.Register(register_request())
        assert reg.person_created
        self.model[reg.card.ehcid] = ModelCard(reg.card.ehcid, reg.person.main_index)
        self.guardian = self.guardian or reg.person.document_number
        return reg.card.ehcid

    @rule(target=cards)
    def register(self) -> str:
        return self._register()

    @rule(target=cards, month=st.integers(1, 12))
    def register_newborn(self, month: int) -> str:
        birth = f"2025-{month:02d}-15"
        reg = self.client.issuance.RegisterNewborn(
            ip.RegisterNewbornRequest(
                birth_certificate=birth_certificate(), name="宝宝", sex="1", birth_date=birth, area_code="370802",
                guardian_document_type="01", guardian_document_number=self.guardian,
            )
        )  # fmt: skip
        self.model[reg.card.ehcid] = ModelCard(
            reg.card.ehcid, reg.person.main_index, temporary=True, birth=birth
        )
        return reg.card.ehcid

    @rule(card=cards)
    def reregister_is_idempotent(self, card: str) -> None:
        m = self.model[card]
        if m.temporary or m.status == SUPERSEDED:
            return
        q = self.client.issuance.GetCard(ip.GetCardRequest(ehcid=card))
        again = self.client.issuance.Query(ip.QueryRequest(main_index=q.card.main_index))
        assert again.person.main_index == self.owner(m.owner)

    @rule(card=cards, uses=st.integers(1, 3))
    def get_dynamic(self, card: str, uses: int) -> None:
        m = self.model[card]
        req = ip.GetQrCodeRequest(
            ehcid=card, code_type=0, max_verifications=uses, lifetime_seconds=600 - len(m.dynamic)
        )
        if m.status == NORMAL:
            code = self.client.issuance.GetQrCode(req)
            assert code.surplus_num == uses
            # the same expiry second gives the same text: the node re-issues that code (counter reset)
            m.dynamic = [(text, left) for text, left in m.dynamic if text != code.qr_text]
            m.dynamic.append((code.qr_text, uses))
        else:
            assert _code(lambda: self.client.issuance.GetQrCode(req)) == REFUSAL[m.status]

    @rule(card=cards)
    def verify_static(self, card: str) -> None:
        m = self.model[card]
        req = vp.VerifyQrRequest(qr_text=card + ":1", context=self.client.context())
        if m.status == NORMAL:
            out = self.client.verification.VerifyQr(req)
            assert out.person.main_index == self.owner(m.owner)
            assert out.flags.temporary == m.temporary
        else:
            assert _code(lambda: self.client.verification.VerifyQr(req)) == REFUSAL[m.status]

    @precondition(lambda self: any(m.dynamic for m in self.model.values()))
    @rule(data=st.data())
    def verify_dynamic(self, data: st.DataObject) -> None:
        card = data.draw(st.sampled_from(sorted(e for e, m in self.model.items() if m.dynamic)))
        m = self.model[card]
        # how many codes the card holds depends on the clock (two requests in the same expiry second
        # give one code): draw independently of it, or Hypothesis's replay sees another strategy
        i = data.draw(st.integers(0, 10**6)) % len(m.dynamic)
        text, remaining = m.dynamic[i]
        req = vp.VerifyQrRequest(qr_text=text, context=self.client.context())
        if m.status != NORMAL:
            assert _code(lambda: self.client.verification.VerifyQr(req)) == REFUSAL[m.status]
        elif remaining == 0:
            assert _code(lambda: self.client.verification.VerifyQr(req)) == "NODE_QR_EXHAUSTED"
        else:
            assert self.client.verification.VerifyQr(req).surplus_num == remaining - 1
            m.dynamic[i] = (text, remaining - 1)

    @rule(card=cards, action=st.sampled_from(["Suspend", "Resume", "Cancel"]))
    def transition(self, card: str, action: str) -> None:
        m = self.model[card]
        allowed = {
            "Suspend": ({NORMAL}, SUSPENDED),
            "Resume": ({SUSPENDED}, NORMAL),
            "Cancel": ({NORMAL, SUSPENDED}, CANCELLED),
        }
        sources, target = allowed[action]
        call = lambda: getattr(self.client.issuance, action)(ip.CardActionRequest(ehcid=card))  # noqa: E731
        if m.status in sources:
            assert call().card.status == target
            m.status = target
        else:
            assert _code(call) == "NODE_CARD_STATE_CONFLICT"

    @rule(target=cards, card=cards)
    def upgrade(self, card: str) -> str:
        m = self.model[card]
        if not m.temporary or m.status in (CANCELLED, SUPERSEDED):
            return card
        number = citizen_id(birth=dt.date.fromisoformat(m.birth))
        up = self.client.issuance.UpgradeTemporary(
            ip.UpgradeTemporaryRequest(ehcid=card, document_number=number)
        )
        assert list(up.card.previous_ehcids) == [card] and up.card.status == m.status
        self.model[up.card.ehcid] = ModelCard(up.card.ehcid, m.owner, status=m.status)
        m.status = SUPERSEDED
        return up.card.ehcid

    @rule(a=cards, b=cards)
    def merge(self, a: str, b: str) -> None:
        keep, gone = self.model[a].owner, self.model[b].owner
        if keep == gone or keep in self.merged or gone in self.merged or self.owner(keep) == self.owner(gone):
            return
        res = self.client.main_index.Merge(mp.MergeRequest(surviving_main_index=keep, merged_main_index=gone))
        self.merged[gone] = keep
        self.merges.append((res.merge_id, keep, gone))

    @precondition(lambda self: bool(self.merges))
    @rule()
    def unmerge(self) -> None:
        merge_id, _, gone = self.merges.pop()
        self.client.main_index.Unmerge(mp.UnmergeRequest(merge_id=merge_id))
        del self.merged[gone]

    @invariant()
    def cards_match_model(self) -> None:
        for ehcid, m in list(self.model.items())[-3:]:
            got = self.client.issuance.GetCard(ip.GetCardRequest(ehcid=ehcid))
            assert got.card.status == m.status
            assert got.person.main_index == self.owner(m.owner)


@pytest.mark.parametrize("examples", [12])
def test_card_life_against_model(running, examples):
    with running.client() as c:
        CardLife.client = c
        run_state_machine_as_test(
            CardLife,
            settings=settings(
                max_examples=examples,
                stateful_step_count=25,
                deadline=None,
                suppress_health_check=list(HealthCheck),
            ),
        )
