"""Profile ``accepted_media``: the node of each of the five profiles takes exactly the media its
profile lists — an unknown card of an accepted medium is not found, a medium the profile does not
list is refused (NODE_MEDIUM_NOT_ACCEPTED) — and links the ones it takes. Each medium a province
adds to or drops from national (Jining's bank card, citizen card and WeChat/Alipay code, the bank
card of Hengyang and Sichuan) is one of these cases."""

from __future__ import annotations

import grpc
import pytest
from node_helpers import birth_certificate, citizen_id, register_request

from reference_node.config import NodeConfig
from reference_node.profiles import apply_profile
from reference_node.proto.ehc.node.v1 import main_index_pb2 as mp
from reference_node.testing import start_node

S = grpc.StatusCode
PROFILES = ("national", "shandong-jining", "zibo", "hunan-hengyang", "sichuan")
# medium the node governs by profile name -> (enum, an identifier nobody holds, linkable by token)
MEDIA = {
    "id-card": (mp.MEDIUM_CITIZEN_ID, lambda: citizen_id("110101"), False),
    "birth-certificate": (mp.MEDIUM_BIRTH_CERTIFICATE, birth_certificate, False),
    "ssc": (mp.MEDIUM_SOCIAL_SECURITY_CARD, lambda: "SSCNOBODY01", True),
    "resident-card": (mp.MEDIUM_RESIDENT_HEALTH_CARD, lambda: "RHCNOBODY01", False),
    "citizen-card": (mp.MEDIUM_CITIZEN_CARD, lambda: "CCNOBODY01", True),
    "bank-card": (mp.MEDIUM_BANK_CARD_TOKEN, lambda: "tok_nobody01", True),
    "wallet-code": (mp.MEDIUM_LINKED_CODE, lambda: "wxpay://health?uid=nobody", True),
}


def test_every_medium_the_node_governs_is_checked():
    from reference_node.services.main_index import _PROFILE_MEDIA

    assert set(MEDIA) == set(_PROFILE_MEDIA.values())


@pytest.mark.parametrize("profile", PROFILES)
def test_each_profile_takes_exactly_its_media(tmp_path, profile):
    config = apply_profile(NodeConfig(), profile, {"require_certified_terminals"})
    node = start_node(tmp_path, config=config)
    try:
        client = node.client()
        person = client.issuance.Register(register_request())
        seen = {}
        for name, (enum, nobody, linkable) in MEDIA.items():
            try:
                client.main_index.Resolve(mp.ResolveRequest(medium=enum, identifier=nobody()))
                seen[name] = "found"
            except grpc.RpcError as exc:
                seen[name] = exc.code().name
            if linkable and name in config.accepted_media:
                token = f"{name[:4]}-{person.person.main_index[:10]}"
                link = mp.LinkMediumRequest(
                    main_index=person.person.main_index, medium=enum, identifier=token
                )
                assert client.main_index.LinkMedium(link).changed
                found = client.main_index.Resolve(mp.ResolveRequest(medium=enum, identifier=token))
                assert found.person.main_index == person.person.main_index
        expected = {n: "NOT_FOUND" if n in config.accepted_media else "FAILED_PRECONDITION" for n in MEDIA}
        assert seen == expected
    finally:
        node.stop()


def test_the_provinces_differ_from_national_in_their_media():
    """The differences the test above shows, pinned: what each province adds to or drops from
    national among the media the node governs."""
    national = set(apply_profile(NodeConfig(), "national").accepted_media) & set(MEDIA)
    diff = {}
    for name in PROFILES[1:]:
        mine = set(apply_profile(NodeConfig(), name).accepted_media) & set(MEDIA)
        diff[name] = (sorted(mine - national), sorted(national - mine))
    assert diff == {
        "shandong-jining": (["bank-card", "citizen-card", "wallet-code"], []),
        "zibo": ([], []),
        "hunan-hengyang": (["bank-card"], []),
        "sichuan": (["bank-card"], []),
    }
