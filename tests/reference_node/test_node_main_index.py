"""Cross-domain main index, chip-card verification, usage reports and the registry over real gRPC."""

from __future__ import annotations

import grpc
import pytest
from node_helpers import birth_certificate, citizen_id, refused, register_request

from reference_node.client import error_of
from reference_node.proto.ehc.node.v1 import common_pb2 as cp
from reference_node.proto.ehc.node.v1 import issuance_pb2 as ip
from reference_node.proto.ehc.node.v1 import main_index_pb2 as mp
from reference_node.proto.ehc.node.v1 import registry_pb2 as rp
from reference_node.proto.ehc.node.v1 import usage_pb2 as up
from reference_node.proto.ehc.node.v1 import verification_pb2 as vp

S = grpc.StatusCode
ATR = "3B8F8001804F0CA0000003060300030000000068"


def test_every_medium_resolves_to_one_person(client):
    ssc = "SS" + citizen_id()[-9:]
    reg = client.issuance.Register(register_request(social_security_card_number=ssc))
    mi = reg.person.main_index
    number = reg.person.document_number
    code = client.issuance.GetQrCode(
        ip.GetQrCodeRequest(ehcid=reg.card.ehcid, code_type=0, lifetime_seconds=60)
    )
    for medium, identifier in (
        (mp.MEDIUM_CITIZEN_ID, number),
        (mp.MEDIUM_EHCID, reg.card.ehcid),
        (mp.MEDIUM_EHC_QR, reg.qr_text),
        (mp.MEDIUM_EHC_QR, code.qr_text),
        (mp.MEDIUM_SOCIAL_SECURITY_CARD, ssc),
        (mp.MEDIUM_SOCIAL_SECURITY_CARD, number),  # social security number = citizen ID
        (mp.MEDIUM_RESIDENT_HEALTH_CARD, number),  # card number = ID number
    ):
        out = client.main_index.Resolve(mp.ResolveRequest(medium=medium, identifier=identifier))
        assert out.person.main_index == mi, mp.Medium.Name(medium)
    for medium, identifier, issuer in (
        (mp.MEDIUM_HOSPITAL_CARD, "JZK000123", "370800001"),
        (mp.MEDIUM_CITIZEN_CARD, "SMK7788", ""),
        (mp.MEDIUM_BANK_CARD_TOKEN, "tok_62220000abcdef", ""),
    ):
        link = mp.LinkMediumRequest(main_index=mi, medium=medium, identifier=identifier, issuer=issuer)
        assert client.main_index.LinkMedium(link).changed
        assert not client.main_index.LinkMedium(link).changed
        out = client.main_index.Resolve(
            mp.ResolveRequest(medium=medium, identifier=identifier, issuer=issuer)
        )
        assert out.person.main_index == mi
    # the same hospital-card number from another hospital is another card
    refused(
        lambda: client.main_index.Resolve(
            mp.ResolveRequest(medium=mp.MEDIUM_HOSPITAL_CARD, identifier="JZK000123", issuer="370800999")
        ),
        S.NOT_FOUND,
        "NODE_MEDIUM_UNKNOWN",
    )
    other = client.issuance.Register(register_request())
    refused(
        lambda: client.main_index.LinkMedium(
            mp.LinkMediumRequest(
                main_index=other.person.main_index, medium=mp.MEDIUM_CITIZEN_CARD, identifier="SMK7788"
            )
        ),
        S.ALREADY_EXISTS,
        "NODE_MEDIUM_TAKEN",
    )
    assert client.main_index.UnlinkMedium(
        mp.LinkMediumRequest(main_index=mi, medium=mp.MEDIUM_CITIZEN_CARD, identifier="SMK7788")
    ).changed
    refused(
        lambda: client.main_index.Resolve(
            mp.ResolveRequest(medium=mp.MEDIUM_CITIZEN_CARD, identifier="SMK7788")
        ),
        S.NOT_FOUND,
        "NODE_MEDIUM_UNKNOWN",
    )


def test_birth_certificate_resolves(client):
    guardian = client.issuance.Register(register_request())
    cert = birth_certificate()
    born = client.issuance.RegisterNewborn(
        ip.RegisterNewbornRequest(
            birth_certificate=cert, name="婴儿", sex="1", birth_date="2025-06-01", area_code="370802",
            guardian_main_index=guardian.person.main_index,
        )
    )  # fmt: skip
    out = client.main_index.Resolve(mp.ResolveRequest(medium=mp.MEDIUM_BIRTH_CERTIFICATE, identifier=cert))
    assert out.person.main_index == born.person.main_index and out.cards[0].attribute == 1


def test_remote_person_is_referenced_not_copied(client):
    number = citizen_id(area="510703")
    remote = cp.RemoteRef(node_id="510700", main_index="AB" * 32)
    assert client.main_index.LinkMedium(
        mp.LinkMediumRequest(remote=remote, medium=mp.MEDIUM_CITIZEN_ID, identifier=number)
    ).changed
    out = client.main_index.Resolve(mp.ResolveRequest(medium=mp.MEDIUM_CITIZEN_ID, identifier=number))
    assert out.remote.node_id == "510700" and out.remote.main_index == "AB" * 32
    assert not out.person.main_index
    refused(
        lambda: client.issuance.Register(register_request(number)), S.ALREADY_EXISTS, "NODE_IDENTITY_CONFLICT"
    )


def test_merge_and_unmerge_with_audit(client):
    a = client.issuance.Register(register_request())
    b = client.issuance.Register(register_request())
    m = client.main_index.Merge(
        mp.MergeRequest(
            surviving_main_index=a.person.main_index,
            merged_main_index=b.person.main_index,
            reason="duplicate",
        )
    )
    assert m.active
    out = client.main_index.Resolve(
        mp.ResolveRequest(medium=mp.MEDIUM_CITIZEN_ID, identifier=b.person.document_number)
    )
    assert out.person.main_index == a.person.main_index and out.followed_merge
    v = client.verification.VerifyQr(vp.VerifyQrRequest(qr_text=b.qr_text, context=client.context()))
    assert v.person.main_index == a.person.main_index
    q = client.issuance.Query(ip.QueryRequest(main_index=a.person.main_index))
    assert {c.ehcid for c in q.cards} == {a.card.ehcid, b.card.ehcid}
    refused(
        lambda: client.main_index.Merge(
            mp.MergeRequest(surviving_main_index=a.person.main_index, merged_main_index=b.person.main_index)
        ),
        S.FAILED_PRECONDITION,
        "NODE_MERGE_INVALID",
    )
    client.main_index.Unmerge(mp.UnmergeRequest(merge_id=m.merge_id, reason="wrong"))
    out = client.main_index.Resolve(
        mp.ResolveRequest(medium=mp.MEDIUM_CITIZEN_ID, identifier=b.person.document_number)
    )
    assert out.person.main_index == b.person.main_index and not out.followed_merge
    refused(
        lambda: client.main_index.Unmerge(mp.UnmergeRequest(merge_id=m.merge_id)),
        S.NOT_FOUND,
        "NODE_MERGE_UNKNOWN",
    )
    actions = [
        e.action
        for e in client.main_index.GetAudit(mp.GetAuditRequest(main_index=a.person.main_index)).entries
        # reads (resolve, read_*) are audited too, group-committed: their order may differ
        if e.action != "resolve" and not e.action.startswith("read_")
    ]
    assert actions[:2] == ["unmerge", "merge"]
    entry = client.main_index.GetAudit(mp.GetAuditRequest(main_index=b.person.main_index)).entries[-1]
    assert entry.action == "merged_into" and entry.terminal_id == client.credentials.terminal_id


def test_chip_card_verification(client, running):
    reg = client.issuance.Register(register_request())
    number = reg.person.document_number
    ctx = client.context()
    ok = client.verification.VerifyChipCard(
        vp.VerifyChipCardRequest(card_number=number, atr=ATR, context=ctx)
    )
    assert ok.person.main_index == reg.person.main_index and ok.card.ehcid == reg.card.ehcid
    client.main_index.LinkMedium(
        mp.LinkMediumRequest(
            main_index=reg.person.main_index,
            medium=mp.MEDIUM_RESIDENT_HEALTH_CARD,
            identifier=number,
            atr=ATR,
        )
    )
    other_atr = ATR[:-2] + "69"
    refused(
        lambda: client.verification.VerifyChipCard(
            vp.VerifyChipCardRequest(card_number=number, atr=other_atr, context=ctx)
        ),
        S.PERMISSION_DENIED,
        "NODE_CHIP_ATR_MISMATCH",
    )
    signature = running.node.hsm.issuer_sign(number.encode() + bytes.fromhex(ATR))
    assert client.verification.VerifyChipCard(
        vp.VerifyChipCardRequest(card_number=number, atr=ATR, issuer_signature=signature, context=ctx)
    ).person.name
    forged = bytes([signature[0] ^ 1]) + signature[1:]
    refused(
        lambda: client.verification.VerifyChipCard(
            vp.VerifyChipCardRequest(card_number=number, atr=ATR, issuer_signature=forged, context=ctx)
        ),
        S.PERMISSION_DENIED,
        "NODE_CHIP_SIGNATURE_INVALID",
    )
    refused(
        lambda: client.verification.VerifyChipCard(
            vp.VerifyChipCardRequest(card_number=citizen_id(), atr=ATR, context=ctx)
        ),
        S.NOT_FOUND,
        "NODE_CHIP_UNKNOWN",
    )


def test_verification_needs_the_point_of_care_context(client):
    reg = client.issuance.Register(register_request())
    refused(
        lambda: client.verification.VerifyQr(
            vp.VerifyQrRequest(qr_text=reg.qr_text, context=client.context(use_city=""))
        ),
        S.INVALID_ARGUMENT,
        "NODE_FIELD_MISSING",
    )
    refused(
        lambda: client.verification.VerifyQr(
            vp.VerifyQrRequest(qr_text=reg.qr_text, context=client.context(channel="0999"))
        ),
        S.INVALID_ARGUMENT,
        "NODE_FIELD_BAD_CODE",
    )
    refused(
        lambda: client.verification.VerifyQr(
            vp.VerifyQrRequest(qr_text=reg.qr_text.lower(), context=client.context())
        ),
        S.INVALID_ARGUMENT,
        "QR_LOWERCASE_HEX",
    )


def test_every_verification_is_recorded(client, running):
    reg = client.issuance.Register(register_request())
    ctx = client.context(scene="0101011")
    client.verification.VerifyQr(vp.VerifyQrRequest(qr_text=reg.qr_text, context=ctx))
    client.issuance.Suspend(ip.CardActionRequest(ehcid=reg.card.ehcid))
    try:
        client.verification.VerifyQr(vp.VerifyQrRequest(qr_text=reg.qr_text, context=ctx))
    except grpc.RpcError:
        pass
    running.node.verification_log.close()  # flush the group-commit queue
    rows = running.node.db.query(
        "SELECT ok, error_code, org_code, use_city, medium, scene, channel FROM verifications WHERE ehcid = ? ORDER BY node_time, ok DESC",
        (reg.card.ehcid,),
    )
    assert sorted(rows, key=lambda r: -r[0]) == [
        (1, "", ctx.org_code, ctx.use_city, "11", "0101011", ctx.channel),
        (0, "NODE_CARD_SUSPENDED", ctx.org_code, ctx.use_city, "11", "0101011", ctx.channel),
    ]


_CARDS: dict[
    tuple[str, bytes], str
] = {}  # (node target, terminal secret) -> an EHCID it issued (usage must name one: REL-F21)


def _card(client) -> str:  # noqa: ANN001
    if (client.target, client.credentials.secret) not in _CARDS:
        _CARDS[client.target, client.credentials.secret] = client.issuance.Register(
            register_request()
        ).card.ehcid
    return _CARDS[client.target, client.credentials.secret]


def _usage(client, request_id: str, **over: str) -> up.UsageRecord:
    values = dict(
        request_id=request_id, time="20261126093000", org_code=client.credentials.org_code, org_name="演示医院", use_city="370800",
        scene="0101051", medical_step="010105", department="5600", card_type="11", channel="0100", payment_category="0200",
        visit_type="O", ehcid=_card(client),
    )  # fmt: skip
    values.update(over)
    return up.UsageRecord(**values)


def test_usage_is_idempotent_by_request_id(client):
    first = client.usage.Report(_usage(client, "u-1"))
    assert first.accepted and not first.duplicate
    again = client.usage.Report(_usage(client, "u-1"))
    assert again.duplicate and not again.accepted and again.usage_id == first.usage_id
    refused(
        lambda: client.usage.Report(_usage(client, "u-1", scene="0101052")),
        S.ALREADY_EXISTS,
        "NODE_USAGE_CONFLICT",
    )
    records = client.usage.QueryUsage(up.QueryUsageRequest(ehcid=_card(client))).records
    assert [r.request_id for r in records] == ["u-1"] and records[0].payment_category == "0200"


@pytest.mark.parametrize(
    "over, code, status",
    [
        ({"time": "19000101000000"}, "NODE_USAGE_TIME_IMPLAUSIBLE", S.INVALID_ARGUMENT),
        ({"time": "29991231235959"}, "NODE_USAGE_TIME_IMPLAUSIBLE", S.INVALID_ARGUMENT),
        ({"ehcid": "B" * 64}, "NODE_USAGE_CARD_UNKNOWN", S.NOT_FOUND),
    ],
)
def test_implausible_usage_is_refused_and_not_stored(client, running, over, code, status):
    """REL-F21: a use dated 1900 or 2999, or of an e-card the node never issued, is not evidence."""
    err = refused(lambda: client.usage.Report(_usage(client, "odd-1", **over)), status, code)
    assert error_of(err).detail.get("field") == ("ehcid" if "ehcid" in over else "time")
    acks = list(client.usage.ReportStream(iter([_usage(client, "odd-2", **over), _usage(client, "fine-1")])))
    assert acks[0].error.code == code and not acks[0].accepted and acks[1].accepted
    stored = {r[0] for r in running.node.db.query("SELECT request_id FROM usage")}
    assert "odd-1" not in stored and "odd-2" not in stored and "fine-1" in stored


def test_usage_stream_acks_each_record(client):
    recs = [_usage(client, f"s-{i}") for i in range(20)]
    recs.insert(5, _usage(client, "bad", card_type="77"))
    recs.append(_usage(client, "s-3"))
    acks = list(client.usage.ReportStream(iter(recs)))
    assert len(acks) == 22
    assert acks[5].error.code == "NODE_FIELD_BAD_CODE" and not acks[5].accepted
    assert acks[-1].duplicate
    assert sum(a.accepted for a in acks) == 20


def test_usage_of_physical_card_stores_number_encrypted(client, running):
    number = citizen_id()
    client.usage.Report(
        _usage(
            client,
            "chip-1",
            ehcid="",
            card_type="10",
            card_number=number,
            atr=ATR,
            sam_number="3708000015500",
        )
    )
    rows = running.node.db.query(
        "SELECT card_number_enc, card_number_blind FROM usage WHERE request_id = 'chip-1'"
    )
    assert rows and number.encode() not in bytes(rows[0][0]) and number not in rows[0][1]
    out = client.usage.QueryUsage(up.QueryUsageRequest(limit=10)).records
    shown = [r.card_number for r in out if r.request_id == "chip-1"][0]
    assert shown != number and shown[:6] == number[:6] and "*" in shown


def test_usage_for_another_organisation_is_refused(client):
    refused(
        lambda: client.usage.Report(_usage(client, "x-1", org_code="999999999")),
        S.PERMISSION_DENIED,
        "NODE_FORBIDDEN_ORG",
    )
    refused(
        lambda: client.usage.Report(_usage(client, "x-2", time="20261331000000")),
        S.INVALID_ARGUMENT,
        "NODE_FIELD_BAD_FORMAT",
    )


def test_identity_numbers_are_encrypted_at_rest(client, running):
    reg = client.issuance.Register(register_request())
    number = reg.person.document_number
    for table, column in (("persons", "doc_enc"), ("persons", "pii_enc"), ("media", "identifier_enc")):
        for (blob,) in running.node.db.query(f"SELECT {column} FROM {table}"):
            if blob is not None:
                assert number.encode() not in bytes(blob) and "测试居民".encode() not in bytes(blob)
    # randomised: the same value sealed twice differs
    assert running.node.hsm.seal(b"x") != running.node.hsm.seal(b"x")


def test_registry_is_admin_only(client, admin):
    org = rp.Organisation(code="370811001", name="村卫生室", level="0", area_code="370811")
    refused(lambda: client.registry.UpsertOrganisation(org), S.PERMISSION_DENIED, "NODE_FORBIDDEN_ADMIN_ONLY")
    assert admin.registry.UpsertOrganisation(org).level == "0"
    term = rp.Terminal(
        terminal_id="3708110010100",
        org_code="370811001",
        terminal_type="04",
        certification_status=rp.CERTIFICATION_STATUS_CERTIFIED,
    )
    assert admin.registry.UpsertTerminal(term).role == rp.TERMINAL_ROLE_TERMINAL
    cred = admin.registry.IssueCredential(rp.IssueCredentialRequest(terminal_id=term.terminal_id))
    assert len(bytes.fromhex(cred.secret_hex)) == 32
    assert [
        o.code
        for o in admin.registry.ListOrganisations(
            rp.ListOrganisationsRequest(area_code="370811")
        ).organisations
    ] == ["370811001"]
    refused(
        lambda: admin.registry.UpsertOrganisation(
            rp.Organisation(code="x1", name="n", level="5", area_code="370811")
        ),
        S.INVALID_ARGUMENT,
        "NODE_FIELD_BAD_CODE",
    )
    refused(
        lambda: admin.registry.GetTerminal(rp.GetTerminalRequest(terminal_id="nope")),
        S.NOT_FOUND,
        "NODE_TERMINAL_UNKNOWN",
    )
    refused(
        lambda: client.registry.GetTerminal(rp.GetTerminalRequest(terminal_id=term.terminal_id)),
        S.PERMISSION_DENIED,
        "NODE_FORBIDDEN_ORG",
    )


def test_linked_code_of_another_platform_verifies_as_its_person(client, running):
    reg = client.issuance.Register(register_request())
    token = "wxpay://health?uid=o6_bmjrPTlm6_2sgVt7hMZOPfL2M&v=2"  # opaque, not a national code
    link = mp.LinkMediumRequest(
        main_index=reg.person.main_index, medium=mp.MEDIUM_LINKED_CODE, identifier=token, card_medium="60"
    )
    assert client.main_index.LinkMedium(link).changed
    out = client.verification.VerifyQr(vp.VerifyQrRequest(qr_text=token, context=client.context()))
    assert out.person.main_index == reg.person.main_index and out.card.ehcid == reg.card.ehcid
    res = client.main_index.Resolve(mp.ResolveRequest(medium=mp.MEDIUM_LINKED_CODE, identifier=token))
    assert res.person.main_index == reg.person.main_index
    refused(
        lambda: client.verification.VerifyQr(
            vp.VerifyQrRequest(qr_text=token + "x", context=client.context())
        ),
        S.INVALID_ARGUMENT,
        "QR_BAD_LENGTH",
    )
    client.issuance.Suspend(ip.CardActionRequest(ehcid=reg.card.ehcid))
    refused(
        lambda: client.verification.VerifyQr(vp.VerifyQrRequest(qr_text=token, context=client.context())),
        S.FAILED_PRECONDITION,
        "NODE_CARD_SUSPENDED",
    )
    running.node.verification_log.close()
    media = [
        r[0]
        for r in running.node.db.query(
            "SELECT medium FROM verifications WHERE ehcid = ? AND ok = 1", (reg.card.ehcid,)
        )
    ]
    assert media == ["60"]
    refused(
        lambda: client.main_index.LinkMedium(
            mp.LinkMediumRequest(
                main_index=reg.person.main_index,
                medium=mp.MEDIUM_LINKED_CODE,
                identifier="t2",
                card_medium="77",
            )
        ),
        S.INVALID_ARGUMENT,
        "NODE_FIELD_BAD_CODE",
    )


def test_resolve_is_audited_with_who_resolved_whom(client):
    import json
    import time

    reg = client.issuance.Register(register_request())
    number = reg.person.document_number
    client.main_index.Resolve(mp.ResolveRequest(medium=mp.MEDIUM_CITIZEN_ID, identifier=number))
    deadline = time.monotonic() + 20  # the access audit is group-committed (every 50 ms by default)
    entries: list = []
    while time.monotonic() < deadline:
        entries = [
            e
            for e in client.main_index.GetAudit(mp.GetAuditRequest(main_index=reg.person.main_index)).entries
            if e.action == "resolve"
        ]
        if entries:
            break
        time.sleep(0.05)
    assert len(entries) == 1, entries
    entry = entries[0]
    assert (
        entry.terminal_id == client.credentials.terminal_id and entry.org_code == client.credentials.org_code
    )
    assert len(entry.time) == 14
    detail = json.loads(entry.detail)
    assert detail["medium"] == "MEDIUM_CITIZEN_ID" and number not in entry.detail
    assert detail["identifier"][:6] == number[:6] and "*" in detail["identifier"]
