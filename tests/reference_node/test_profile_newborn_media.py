"""Newborn cards under Zibo and Hengyang: both profiles enable newborn cards, so both take the
birth-certificate medium (出生医学证明, DIGEST §1.4 item 5): a newborn's temporary card is issued on
the certificate number and the child is found by it. A profile that does not take the medium
cannot issue a newborn card, and a profile enabling newborns without the medium is refused."""

from __future__ import annotations

import datetime as dt
import shutil

import grpc
import pytest
from node_helpers import birth_certificate, citizen_id, refused, register_request

from ehc.profiles import PROFILES_DIR
from reference_node.config import NodeConfig
from reference_node.profiles import apply_profile
from reference_node.proto.ehc.node.v1 import issuance_pb2 as ip
from reference_node.proto.ehc.node.v1 import main_index_pb2 as mp
from reference_node.proto.ehc.node.v1 import verification_pb2 as vp
from reference_node.testing import start_node

S = grpc.StatusCode
CST = dt.timezone(dt.timedelta(hours=8))


def _newborn(client, guardian: str, certificate: str, area: str) -> ip.RegisterResponse:
    return client.issuance.RegisterNewborn(
        ip.RegisterNewbornRequest(
            birth_certificate=certificate, name="新生儿", sex="1", nation="01",
            birth_date=dt.datetime.now(CST).date().isoformat(), area_code=area,
            guardian_document_type="01", guardian_document_number=guardian, context=client.context(),
        )
    )  # fmt: skip


@pytest.mark.parametrize(("profile", "area"), [("zibo", "370302"), ("hunan-hengyang", "430426")])
def test_a_newborn_card_is_issued_and_found_on_the_birth_certificate(tmp_path, profile, area):
    config = apply_profile(NodeConfig(), profile)
    assert "birth-certificate" in config.accepted_media
    node = start_node(tmp_path, config=config)
    try:
        client = node.client()
        guardian = citizen_id(area)
        client.issuance.Register(register_request(guardian))
        certificate = birth_certificate()
        baby = _newborn(client, guardian, certificate, area)
        assert baby.card.attribute == 1 and baby.card.document_type == "08"  # temporary, 出生医学证明
        assert list(baby.person.priority_groups) == ["newborn"]
        found = client.main_index.Resolve(
            mp.ResolveRequest(
                medium=mp.MEDIUM_BIRTH_CERTIFICATE, identifier=certificate, context=client.context()
            )
        )
        assert found.person.main_index == baby.person.main_index
        assert baby.card.ehcid in {k.ehcid for k in found.cards}
        verified = client.verification.VerifyQr(
            vp.VerifyQrRequest(qr_text=baby.qr_text, context=client.context())
        )
        assert verified.flags.newborn and verified.flags.temporary
    finally:
        node.stop()


def _own(tmp_path, body: str):
    d = tmp_path / "profiles"
    shutil.copytree(PROFILES_DIR, d, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (d / "testcity.toml").write_text(
        '[profile]\nname = "testcity"\ntitle = "Test city"\nextends = ["national"]\n\n' + body,
        encoding="utf-8",
    )
    return d


def test_without_the_medium_no_newborn_card(tmp_path):
    # a city without newborn cards: neither the feature nor the medium
    d = _own(
        tmp_path,
        '[parameters]\naccepted_media = ["ehc-qr-static", "ehc-qr-dynamic", "id-card"]\n'
        'features = ["dynamic-code", "static-code", "temporary-card"]\n',
    )
    node = start_node(tmp_path, config=apply_profile(NodeConfig(), "testcity", directory=d))
    try:
        client = node.client()
        guardian = citizen_id("370802")
        client.issuance.Register(register_request(guardian))
        refused(
            lambda: _newborn(client, guardian, birth_certificate(), "370802"),
            S.FAILED_PRECONDITION,
            "NODE_MEDIUM_NOT_ACCEPTED",
        )
    finally:
        node.stop()


def test_newborns_without_the_birth_certificate_medium_is_a_profile_error(tmp_path):
    d = _own(tmp_path, '[parameters]\naccepted_media = ["ehc-qr-static", "id-card"]\n')  # national features
    with pytest.raises(Exception, match="feature newborn needs medium birth-certificate"):
        apply_profile(NodeConfig(), "testcity", directory=d)
