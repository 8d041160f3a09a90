"""Issuance over real gRPC on SQLite and PostgreSQL: register, batch, newborn, upgrade, QR, life cycle."""

from __future__ import annotations

import time

import grpc
from node_helpers import birth_certificate, citizen_id, refused, register_request

from qr_codec import text as qrtext
from reference_node.proto.ehc.node.v1 import issuance_pb2 as ip
from reference_node.proto.ehc.node.v1 import verification_pb2 as vp

S = grpc.StatusCode


def test_register_creates_then_finds_the_same_person(client):
    req = register_request()
    first = client.issuance.Register(req)
    assert first.person_created and first.card_created
    assert len(first.person.main_index) == 64 and first.person.main_index == first.person.main_index.upper()
    assert len(first.card.ehcid) == 64
    assert first.qr_text == first.card.ehcid + ":1"
    assert first.card.status == 1 and first.card.attribute == 2  # normal, formal
    assert (
        first.person.birth_date
        == f"{req.document_number[6:10]}-{req.document_number[10:12]}-{req.document_number[12:14]}"
    )
    again = client.issuance.Register(req)
    assert not again.person_created and not again.card_created
    assert again.person.main_index == first.person.main_index
    assert again.card.ehcid == first.card.ehcid


def test_register_validation_names_the_field(client):
    good = citizen_id()
    bad_check = good[:17] + ("0" if good[17] != "0" else "1")
    err = refused(
        lambda: client.issuance.Register(register_request(bad_check)),
        S.INVALID_ARGUMENT,
        "NODE_DOCUMENT_INVALID",
    )
    assert "document_number" in err.details()
    refused(
        lambda: client.issuance.Register(register_request(application_mode="7")),
        S.INVALID_ARGUMENT,
        "NODE_FIELD_BAD_CODE",
    )
    refused(
        lambda: client.issuance.Register(register_request(name="")), S.INVALID_ARGUMENT, "NODE_FIELD_MISSING"
    )
    refused(
        lambda: client.issuance.Register(register_request(name="名" * 51)),
        S.INVALID_ARGUMENT,
        "NODE_FIELD_TOO_LONG",
    )
    refused(
        lambda: client.issuance.Register(register_request(area_code="37080")),
        S.INVALID_ARGUMENT,
        "NODE_FIELD_BAD_FORMAT",
    )


def test_register_batch_reports_bad_records_and_goes_on(client):
    good = [register_request(request_id=f"p{i}") for i in range(5)]
    bad = register_request(request_id="bad", sex="7")
    stream = [good[0], good[1], bad, good[2], good[3], good[0], good[4]]
    items = [it for res in client.issuance.RegisterBatch(iter(stream)) for it in res.items]
    assert [it.index for it in items] == list(range(7))
    assert [it.ok for it in items] == [True, True, False, True, True, True, True]
    assert items[2].error.code == "NODE_FIELD_BAD_CODE" and items[2].error.field == "sex"
    assert items[5].main_index == items[0].main_index and not items[5].person_created
    card = client.issuance.GetCard(ip.GetCardRequest(ehcid=items[3].ehcid)).card
    assert card.application_mode == "3" and card.status == 1


def test_newborn_temporary_card_then_upgrade_keeps_history(client):
    guardian = client.issuance.Register(register_request())
    cert = birth_certificate()
    born = client.issuance.RegisterNewborn(
        ip.RegisterNewbornRequest(
            birth_certificate=cert, name="新生儿", sex="2", nation="01", birth_date="2025-03-04", area_code="370802",
            guardian_document_type="01", guardian_document_number=guardian.person.document_number,
        )
    )  # fmt: skip
    assert born.card.attribute == 1 and born.card.document_type == "08"
    assert born.person.document_number == cert
    family = client.issuance.Query(ip.QueryRequest(main_index=guardian.person.main_index)).family
    assert [m.main_index for m in family] == [born.person.main_index]
    verified = client.verification.VerifyQr(
        vp.VerifyQrRequest(qr_text=born.qr_text, context=client.context())
    )
    assert verified.flags.temporary and verified.flags.newborn
    child_id = citizen_id(birth=__import__("datetime").date(2025, 3, 4))
    up = client.issuance.UpgradeTemporary(
        ip.UpgradeTemporaryRequest(ehcid=born.card.ehcid, document_number=child_id)
    )
    assert up.person.main_index == born.person.main_index
    assert up.card.attribute == 2 and list(up.card.previous_ehcids) == [born.card.ehcid]
    old = client.issuance.GetCard(ip.GetCardRequest(ehcid=born.card.ehcid)).card
    assert old.status == 4 and old.superseded_by == up.card.ehcid
    refused(
        lambda: client.verification.VerifyQr(
            vp.VerifyQrRequest(qr_text=born.qr_text, context=client.context())
        ),
        S.FAILED_PRECONDITION,
        "NODE_CARD_SUPERSEDED",
    )
    refused(
        lambda: client.issuance.UpgradeTemporary(
            ip.UpgradeTemporaryRequest(ehcid=up.card.ehcid, document_number=child_id)
        ),
        S.FAILED_PRECONDITION,
        "NODE_CARD_NOT_TEMPORARY",
    )


def test_newborn_needs_a_registered_guardian(client):
    req = ip.RegisterNewbornRequest(
        birth_certificate=birth_certificate(), name="新生儿", sex="1", birth_date="2025-01-01", area_code="370802",
        guardian_document_type="01", guardian_document_number=citizen_id(),
    )  # fmt: skip
    refused(lambda: client.issuance.RegisterNewborn(req), S.NOT_FOUND, "NODE_PERSON_UNKNOWN")


def test_dynamic_code_counts_down_and_expires(client):
    card = client.issuance.Register(register_request()).card
    code = client.issuance.GetQrCode(
        ip.GetQrCodeRequest(ehcid=card.ehcid, code_type=0, max_verifications=2, lifetime_seconds=60)
    )
    assert code.surplus_num == 2 and len(code.qr_text) == 99
    parsed = qrtext.parse(code.qr_text)
    assert parsed.kind == "dynamic" and parsed.ehcid == card.ehcid
    ctx = client.context()
    left = [
        client.verification.VerifyQr(vp.VerifyQrRequest(qr_text=code.qr_text, context=ctx)).surplus_num
        for _ in range(2)
    ]
    assert left == [1, 0]
    refused(
        lambda: client.verification.VerifyQr(vp.VerifyQrRequest(qr_text=code.qr_text, context=ctx)),
        S.FAILED_PRECONDITION,
        "NODE_QR_EXHAUSTED",
    )


def test_expired_dynamic_code_is_refused(client, running):
    card = client.issuance.Register(register_request()).card
    code = client.issuance.GetQrCode(ip.GetQrCodeRequest(ehcid=card.ehcid, code_type=0, lifetime_seconds=1))
    time.sleep(1 + running.node.config.clock_skew_s + 1.1)
    refused(
        lambda: client.verification.VerifyQr(
            vp.VerifyQrRequest(qr_text=code.qr_text, context=client.context())
        ),
        S.FAILED_PRECONDITION,
        "QR_EXPIRED",
    )


def test_dynamic_code_from_another_key_is_not_ours(client):
    card = client.issuance.Register(register_request()).card
    foreign = qrtext.make_dynamic(
        card.ehcid, bytes(16), lifetime=__import__("datetime").timedelta(seconds=60)
    )
    err = None
    try:
        client.verification.VerifyQr(vp.VerifyQrRequest(qr_text=foreign, context=client.context()))
    except grpc.RpcError as exc:
        err = exc
    assert err is not None and err.code() in (S.INVALID_ARGUMENT, S.NOT_FOUND, S.FAILED_PRECONDITION)


def test_static_code_and_lifecycle(client):
    reg = client.issuance.Register(register_request())
    ehcid = reg.card.ehcid
    static = client.issuance.GetQrCode(ip.GetQrCodeRequest(ehcid=ehcid, code_type=1))
    assert static.qr_text == ehcid + ":1"
    ctx = client.context()
    verify = lambda: client.verification.VerifyQr(vp.VerifyQrRequest(qr_text=static.qr_text, context=ctx))  # noqa: E731
    assert verify().person.main_index == reg.person.main_index
    assert client.issuance.Suspend(ip.CardActionRequest(ehcid=ehcid, reason="lost phone")).card.status == 2
    refused(verify, S.FAILED_PRECONDITION, "NODE_CARD_SUSPENDED")
    refused(
        lambda: client.issuance.GetQrCode(ip.GetQrCodeRequest(ehcid=ehcid, code_type=0)),
        S.FAILED_PRECONDITION,
        "NODE_CARD_SUSPENDED",
    )
    refused(
        lambda: client.issuance.Suspend(ip.CardActionRequest(ehcid=ehcid)),
        S.FAILED_PRECONDITION,
        "NODE_CARD_STATE_CONFLICT",
    )
    assert client.issuance.Resume(ip.CardActionRequest(ehcid=ehcid)).card.status == 1
    assert verify().card.status == 1
    client.issuance.Cancel(ip.CardActionRequest(ehcid=ehcid, reason="deceased"))
    refused(verify, S.FAILED_PRECONDITION, "NODE_CARD_CANCELLED")
    refused(
        lambda: client.issuance.Resume(ip.CardActionRequest(ehcid=ehcid)),
        S.FAILED_PRECONDITION,
        "NODE_CARD_STATE_CONFLICT",
    )


def test_unknown_card(client):
    refused(
        lambda: client.issuance.GetCard(ip.GetCardRequest(ehcid="A" * 64)), S.NOT_FOUND, "NODE_CARD_UNKNOWN"
    )
    refused(
        lambda: client.verification.VerifyQr(
            vp.VerifyQrRequest(qr_text="A" * 64 + ":1", context=client.context())
        ),
        S.NOT_FOUND,
        "NODE_CARD_UNKNOWN",
    )


def test_modify_and_poverty_flag(client):
    reg = client.issuance.Register(register_request())
    out = client.issuance.Modify(
        ip.ModifyRequest(
            ehcid=reg.card.ehcid, phone="13900000001", set_poverty_relief=True, poverty_relief=True
        )
    )
    assert out.person.phone == "13900000001" and out.person.poverty_relief
    v = client.verification.VerifyQr(vp.VerifyQrRequest(qr_text=reg.qr_text, context=client.context()))
    assert v.flags.poverty_relief and v.person.phone == "13900000001"  # cache invalidated on change


def test_family_bind_unbind(client):
    a = client.issuance.Register(register_request())
    b = client.issuance.Register(register_request())
    fam = client.issuance.BindFamily(
        ip.BindFamilyRequest(guardian_ehcid=a.card.ehcid, member_ehcid=b.card.ehcid, relation="child")
    )
    assert [(m.main_index, m.relation, m.ehcid) for m in fam.members] == [
        (b.person.main_index, "child", b.card.ehcid)
    ]
    assert not client.issuance.UnbindFamily(
        ip.BindFamilyRequest(guardian_ehcid=a.card.ehcid, member_ehcid=b.card.ehcid)
    ).members
    refused(
        lambda: client.issuance.BindFamily(
            ip.BindFamilyRequest(guardian_ehcid=a.card.ehcid, member_ehcid=a.card.ehcid)
        ),
        S.FAILED_PRECONDITION,
        "NODE_FAMILY_INVALID",
    )


def test_query_by_document(client):
    reg = client.issuance.Register(register_request())
    out = client.issuance.Query(
        ip.QueryRequest(document_type="01", document_number=reg.person.document_number)
    )
    assert out.person.main_index == reg.person.main_index and [c.ehcid for c in out.cards] == [reg.card.ehcid]
    refused(
        lambda: client.issuance.Query(ip.QueryRequest(document_type="01", document_number=citizen_id())),
        S.NOT_FOUND,
        "NODE_PERSON_UNKNOWN",
    )


def test_household_register_and_id_card_are_one_person(client):
    number = citizen_id()
    by_id = client.issuance.Register(register_request(number))
    by_register = client.issuance.Register(register_request(number, document_type="02", application_mode="2"))
    assert by_register.person.main_index == by_id.person.main_index and not by_register.person_created
    assert by_register.card.ehcid != by_id.card.ehcid  # the EHCID is derived with the real type (T = "02")
    assert by_register.card.document_type == "02"
