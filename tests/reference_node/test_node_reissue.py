"""补卡: a lost or damaged resident health card is replaced by a new chip with the same card number
(the holder's ID number); the new chip's ATR is linked and the old chip is refused from then on."""

from __future__ import annotations

import grpc
from node_helpers import refused, register_request

from reference_node.proto.ehc.node.v1 import main_index_pb2 as mp
from reference_node.proto.ehc.node.v1 import verification_pb2 as vp
from reference_node.testing import start_node

OLD_ATR = "3B8F8001804F0CA0000003060300030000000068"
NEW_ATR = "3B8F8001804F0CA00000030603000300000000A1"


def test_a_reissued_card_refuses_the_old_chip(tmp_path):
    node = start_node(tmp_path)
    try:
        client = node.client()
        reg = client.issuance.Register(register_request())
        number, mi, ctx = reg.person.document_number, reg.person.main_index, client.context()

        def link(atr: str) -> mp.LinkMediumResponse:
            return client.main_index.LinkMedium(
                mp.LinkMediumRequest(
                    main_index=mi, medium=mp.MEDIUM_RESIDENT_HEALTH_CARD, identifier=number, atr=atr
                )
            )

        def chip(atr: str) -> vp.VerifyResponse:
            return client.verification.VerifyChipCard(
                vp.VerifyChipCardRequest(card_number=number, atr=atr, context=ctx)
            )

        assert link(OLD_ATR).changed
        assert chip(OLD_ATR).person.main_index == mi
        assert not link(OLD_ATR).changed  # the same chip again: nothing to do
        assert link(NEW_ATR).changed  # 补卡
        assert chip(NEW_ATR).person.main_index == mi
        refused(lambda: chip(OLD_ATR), grpc.StatusCode.PERMISSION_DENIED, "NODE_CHIP_ATR_MISMATCH")
        old = mp.ResolveRequest(medium=mp.MEDIUM_RESIDENT_HEALTH_CARD, identifier=number, atr=OLD_ATR)
        refused(
            lambda: client.main_index.Resolve(old),
            grpc.StatusCode.PERMISSION_DENIED,
            "NODE_CHIP_ATR_MISMATCH",
        )
        entries = client.main_index.GetAudit(mp.GetAuditRequest(main_index=mi)).entries
        reissues = [e for e in entries if e.action == "reissue"]
        assert len(reissues) == 1 and "0068" in reissues[0].detail and "00A1" in reissues[0].detail
        assert number not in reissues[0].detail  # the ID number is masked
        # another person cannot take the card number over by "reissuing" it
        other = client.issuance.Register(register_request()).person.main_index
        steal = mp.LinkMediumRequest(
            main_index=other, medium=mp.MEDIUM_RESIDENT_HEALTH_CARD, identifier=number, atr=NEW_ATR
        )
        refused(
            lambda: client.main_index.LinkMedium(steal), grpc.StatusCode.ALREADY_EXISTS, "NODE_MEDIUM_TAKEN"
        )
    finally:
        node.stop()
