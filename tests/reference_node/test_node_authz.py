"""Organisations are isolated (docs/node.md, "Authorisation"): every owner-only operation is tried by
a terminal of another organisation (refused, store unchanged), by another terminal of the issuing
organisation (allowed) and by the admin (allowed); open operations stay open; contexts cannot be
spoofed; reads of personal data are audited. Real node, real gRPC and REST, real SQLite."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc
import httpx
import pytest
from google.protobuf import json_format

from ehc.spec.identifiers import make_citizen_id
from reference_node.auth import sign
from reference_node.client import Credentials, NodeClient, error_of
from reference_node.proto.ehc.node.v1 import issuance_pb2 as ip
from reference_node.proto.ehc.node.v1 import main_index_pb2 as mp
from reference_node.proto.ehc.node.v1 import registry_pb2 as rp
from reference_node.proto.ehc.node.v1 import usage_pb2 as up
from reference_node.proto.ehc.node.v1 import verification_pb2 as vp
from reference_node.testing import start_node
from tests.reference_node.node_helpers import birth_certificate, register_request

S = grpc.StatusCode
ORG_B = "370802001"
TABLES = ("cards", "persons", "media", "family", "merges", "dynamic_codes", "card_changes", "audit", "usage")


@dataclass
class Env:
    node: Any
    a1: NodeClient  # the demo organisation's terminal (issues the cards)
    a2: NodeClient  # another terminal of the same organisation
    b1: NodeClient  # a terminal of another organisation
    admin: NodeClient
    http: httpx.Client
    creds: dict[str, Credentials]


def _credential(admin: NodeClient, tid: str, org: str) -> Credentials:
    admin.registry.UpsertTerminal(rp.Terminal(terminal_id=tid, org_code=org, terminal_type="03"))
    secret = admin.registry.IssueCredential(rp.IssueCredentialRequest(terminal_id=tid)).secret_hex
    return Credentials(tid, bytes.fromhex(secret), org, use_city="370800")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory):
    node = start_node(tmp_path_factory.mktemp("authz"), http=True)
    admin = node.client("admin")
    admin.registry.UpsertOrganisation(
        rp.Organisation(code=ORG_B, name="二院 TEST-ONLY", level="2", area_code="370802")
    )
    a_org = node.credentials.org_code
    creds = {
        "a1": node.credentials,
        "a2": _credential(admin, a_org + "6600", a_org),
        "b1": _credential(admin, ORG_B + "0300", ORG_B),
        "admin": node.admin_credentials,
    }
    http = httpx.Client(base_url=f"http://127.0.0.1:{node.http_port}", timeout=30)
    env = Env(node, node.client(), NodeClient(node.target, creds["a2"]), NodeClient(node.target, creds["b1"]),
              admin, http, creds)  # fmt: skip
    yield env
    for c in (env.a1, env.a2, env.b1, admin):
        c.close()
    http.close()
    node.stop()


def snapshot(env: Env) -> dict[str, list]:
    """Every row of the tables an operation could change (the access audit flushed first)."""
    env.node.node.access_audit.flush()
    env.node.node.verification_log.flush()
    time.sleep(0.15)  # a batch the writer thread popped before the flush commits within its interval
    env.node.node.access_audit.flush()
    return {t: sorted(map(repr, env.node.node.db.query(f"SELECT * FROM {t}"))) for t in TABLES}


def forbidden(call: Callable[[], Any], code: str = "NODE_FORBIDDEN_ORGANISATION") -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as info:
        call()
    assert info.value.code() == S.PERMISSION_DENIED, info.value.details()
    assert error_of(info.value).code.name == code
    return info.value


# ------------------------------------------------------------------ fixtures per operation
@dataclass
class Subject:
    """What an operation acts on, prepared by the issuing terminal (a1)."""

    reg: ip.RegisterResponse
    other: ip.RegisterResponse | None = None
    extra: dict[str, str] | None = None


def _reg(env: Env) -> ip.RegisterResponse:
    return env.a1.issuance.Register(register_request(context=env.a1.context()))


def _prep_plain(env: Env) -> Subject:
    return Subject(_reg(env))


def _prep_suspended(env: Env) -> Subject:
    s = Subject(_reg(env))
    env.a1.issuance.Suspend(ip.CardActionRequest(ehcid=s.reg.card.ehcid))
    return s


def _prep_pair(env: Env) -> Subject:
    return Subject(_reg(env), _reg(env))


def _prep_bound(env: Env) -> Subject:
    s = _prep_pair(env)
    env.a1.issuance.BindFamily(
        ip.BindFamilyRequest(
            guardian_ehcid=s.reg.card.ehcid, member_ehcid=s.other.card.ehcid, relation="parent"
        )
    )
    return s


def _prep_linked(env: Env) -> Subject:
    s = Subject(_reg(env), extra={"card": f"H{time.monotonic_ns() % 10**12}"})
    env.a1.main_index.LinkMedium(_link_request(s))
    return s


def _prep_merged(env: Env) -> Subject:
    s = _prep_pair(env)
    m = env.a1.main_index.Merge(
        mp.MergeRequest(
            surviving_main_index=s.reg.person.main_index, merged_main_index=s.other.person.main_index
        )
    )
    s.extra = {"merge_id": m.merge_id}
    return s


def _prep_temporary(env: Env) -> Subject:
    guardian = _reg(env)
    born = env.a1.issuance.RegisterNewborn(
        ip.RegisterNewbornRequest(
            birth_certificate=birth_certificate(), name="婴儿", sex="1", birth_date="2025-06-01",
            area_code="370802", guardian_main_index=guardian.person.main_index,
        )
    )  # fmt: skip
    return Subject(born)


def _link_request(s: Subject) -> mp.LinkMediumRequest:
    assert s.extra is not None
    return mp.LinkMediumRequest(
        main_index=s.reg.person.main_index,
        medium=mp.MEDIUM_HOSPITAL_CARD,
        issuer="H1",
        identifier=s.extra["card"],
    )


def _upgrade(c: NodeClient, s: Subject) -> Any:
    import datetime as dt

    number = make_citizen_id("370802", dt.date(2025, 6, 1), time.monotonic_ns() % 1000)
    return c.issuance.UpgradeTemporary(
        ip.UpgradeTemporaryRequest(ehcid=s.reg.card.ehcid, document_number=number)
    )


# name -> (prepare, call(client, subject)); every one is owner-only
OWNER_ONLY: dict[str, tuple[Callable[[Env], Subject], Callable[[NodeClient, Subject], Any]]] = {
    "Suspend": (_prep_plain, lambda c, s: c.issuance.Suspend(ip.CardActionRequest(ehcid=s.reg.card.ehcid))),
    "Resume": (_prep_suspended, lambda c, s: c.issuance.Resume(ip.CardActionRequest(ehcid=s.reg.card.ehcid))),
    "Cancel": (_prep_plain, lambda c, s: c.issuance.Cancel(ip.CardActionRequest(ehcid=s.reg.card.ehcid))),
    "Modify": (
        _prep_plain,
        lambda c, s: c.issuance.Modify(ip.ModifyRequest(ehcid=s.reg.card.ehcid, phone="13900000001")),
    ),
    "UpgradeTemporary": (_prep_temporary, _upgrade),
    "GetQrCode dynamic": (
        _prep_plain,
        lambda c, s: c.issuance.GetQrCode(ip.GetQrCodeRequest(ehcid=s.reg.card.ehcid, code_type=0)),
    ),
    "LinkMedium": (
        lambda env: Subject(_reg(env), extra={"card": f"H{time.monotonic_ns() % 10**12}"}),
        lambda c, s: c.main_index.LinkMedium(_link_request(s)),
    ),
    "UnlinkMedium": (_prep_linked, lambda c, s: c.main_index.UnlinkMedium(_link_request(s))),
    "BindFamily": (
        _prep_pair,
        lambda c, s: c.issuance.BindFamily(
            ip.BindFamilyRequest(
                guardian_ehcid=s.reg.card.ehcid, member_ehcid=s.other.card.ehcid, relation="parent"
            )
        ),
    ),
    "UnbindFamily": (
        _prep_bound,
        lambda c, s: c.issuance.UnbindFamily(
            ip.BindFamilyRequest(guardian_ehcid=s.reg.card.ehcid, member_ehcid=s.other.card.ehcid)
        ),
    ),
    "Merge": (
        _prep_pair,
        lambda c, s: c.main_index.Merge(
            mp.MergeRequest(
                surviving_main_index=s.reg.person.main_index, merged_main_index=s.other.person.main_index
            )
        ),
    ),
    "Unmerge": (
        _prep_merged,
        lambda c, s: c.main_index.Unmerge(mp.UnmergeRequest(merge_id=s.extra["merge_id"])),
    ),
    "GetCard": (_prep_plain, lambda c, s: c.issuance.GetCard(ip.GetCardRequest(ehcid=s.reg.card.ehcid))),
    "Query by main index": (
        _prep_plain,
        lambda c, s: c.issuance.Query(ip.QueryRequest(main_index=s.reg.person.main_index)),
    ),
    "Query by document": (
        _prep_plain,
        lambda c, s: c.issuance.Query(ip.QueryRequest(document_number=s.reg.person.document_number)),
    ),
}


@pytest.mark.parametrize("operation", sorted(OWNER_ONLY))
def test_foreign_organisation_is_refused_and_nothing_changes(env: Env, operation: str) -> None:
    prepare, call = OWNER_ONLY[operation]
    subject = prepare(env)
    before = snapshot(env)
    err = forbidden(lambda: call(env.b1, subject))
    # the message names the policy, never the owner or the person
    details = err.details()
    assert "organisation" in details
    for secret in (env.creds["a1"].org_code, subject.reg.person.name, subject.reg.person.document_number):
        assert secret not in details
    assert snapshot(env) == before, f"{operation} by a foreign terminal changed the store"


@pytest.mark.parametrize("operation", sorted(OWNER_ONLY))
@pytest.mark.parametrize("who", ["a2", "admin"])
def test_same_organisation_and_admin_may(env: Env, operation: str, who: str) -> None:
    prepare, call = OWNER_ONLY[operation]
    subject = prepare(env)
    client = env.a2 if who == "a2" else env.admin
    assert call(client, subject) is not None


def test_family_binding_needs_both_persons(env: Env) -> None:
    """A foreign terminal cannot bind its own person to another organisation's person, either way."""
    mine = env.b1.issuance.Register(register_request(context=env.b1.context()))
    theirs = _reg(env)
    before = snapshot(env)
    for g, m in ((mine, theirs), (theirs, mine)):
        forbidden(
            lambda g=g, m=m: env.b1.issuance.BindFamily(
                ip.BindFamilyRequest(
                    guardian_ehcid=g.card.ehcid, member_ehcid=m.card.ehcid, relation="parent"
                )
            )
        )
    assert snapshot(env) == before


def test_merge_across_organisations_is_for_the_admin(env: Env) -> None:
    a, b = _reg(env), env.b1.issuance.Register(register_request(context=env.b1.context()))
    req = mp.MergeRequest(surviving_main_index=a.person.main_index, merged_main_index=b.person.main_index)
    before = snapshot(env)
    for c in (env.a1, env.b1):
        err = forbidden(lambda c=c: c.main_index.Merge(req))
        assert "admin" in err.details()
    assert snapshot(env) == before
    merged = env.admin.main_index.Merge(req)
    forbidden(lambda: env.a1.main_index.Unmerge(mp.UnmergeRequest(merge_id=merged.merge_id)))
    assert not env.admin.main_index.Unmerge(mp.UnmergeRequest(merge_id=merged.merge_id)).active


def test_open_operations_stay_open_to_any_terminal(env: Env) -> None:
    reg = _reg(env)
    b = env.b1
    out = b.verification.VerifyQr(vp.VerifyQrRequest(qr_text=reg.qr_text, context=b.context()))
    assert out.card.ehcid == reg.card.ehcid
    res = b.main_index.Resolve(
        mp.ResolveRequest(
            medium=mp.MEDIUM_CITIZEN_ID, identifier=reg.person.document_number, context=b.context()
        )
    )
    assert res.person.main_index == reg.person.main_index
    static = b.issuance.GetQrCode(ip.GetQrCodeRequest(ehcid=reg.card.ehcid, code_type=1))
    assert static.qr_text == reg.qr_text  # a static code is the EHCID itself
    ack = b.usage.Report(
        up.UsageRecord(
            request_id=f"open-{time.monotonic_ns()}", time=time.strftime("%Y%m%d%H%M%S"), org_code=ORG_B,
            use_city="370800", scene="0101011", card_type="11", channel="0100", ehcid=reg.card.ehcid,
        )
    )  # fmt: skip
    assert ack.accepted
    # a person may ask any hospital for a card: the existing card comes back, still the issuer's
    again = b.issuance.Register(register_request(reg.person.document_number, context=b.context()))
    assert again.card.ehcid == reg.card.ehcid and not again.card_created and not again.person_created
    assert again.card.org_code == env.creds["a1"].org_code


def test_registry_writes_stay_admin_only(env: Env) -> None:
    forbidden(
        lambda: env.b1.registry.UpsertTerminal(rp.Terminal(terminal_id=ORG_B + "0399", org_code=ORG_B, terminal_type="03")),
        "NODE_FORBIDDEN_ADMIN_ONLY",
    )  # fmt: skip
    forbidden(
        lambda: env.b1.registry.RevokeCredential(rp.IssueCredentialRequest(terminal_id=env.creds["a1"].terminal_id)),
        "NODE_FORBIDDEN_ADMIN_ONLY",
    )  # fmt: skip


def test_query_usage_shows_only_the_callers_organisation(env: Env) -> None:
    reg = _reg(env)
    rid = f"mine-{time.monotonic_ns()}"
    env.a1.usage.Report(
        up.UsageRecord(
            request_id=rid, time=time.strftime("%Y%m%d%H%M%S"), org_code=env.creds["a1"].org_code,
            use_city="370800", scene="0101011", card_type="11", channel="0100", ehcid=reg.card.ehcid,
        )
    )  # fmt: skip
    by_card = up.QueryUsageRequest(ehcid=reg.card.ehcid)
    assert [r.request_id for r in env.a2.usage.QueryUsage(by_card).records] == [rid]
    assert [r.request_id for r in env.admin.usage.QueryUsage(by_card).records] == [rid]
    assert list(env.b1.usage.QueryUsage(by_card).records) == []
    forbidden(
        lambda: env.b1.usage.QueryUsage(up.QueryUsageRequest(org_code=env.creds["a1"].org_code)),
        "NODE_FORBIDDEN_ORG",
    )


def test_context_naming_another_terminal_or_organisation_is_refused(env: Env) -> None:
    reg = _reg(env)
    b = env.b1
    before = snapshot(env)
    for ctx in (
        b.context(org_code=env.creds["a1"].org_code),
        b.context(terminal_id=env.creds["a1"].terminal_id),
    ):
        forbidden(
            lambda ctx=ctx: b.verification.VerifyQr(vp.VerifyQrRequest(qr_text=reg.qr_text, context=ctx)),
            "NODE_CONTEXT_MISMATCH",
        )
        forbidden(lambda ctx=ctx: b.issuance.Register(register_request(context=ctx)), "NODE_CONTEXT_MISMATCH")
    # another terminal of the SAME organisation is not the signer either
    forbidden(
        lambda: env.a2.issuance.Suspend(
            ip.CardActionRequest(
                ehcid=reg.card.ehcid, context=env.a2.context(terminal_id=env.creds["a1"].terminal_id)
            )
        ),
        "NODE_CONTEXT_MISMATCH",
    )
    assert snapshot(env) == before


# ------------------------------------------------------------------ REST applies the same policy
def _rest(env: Env, who: str, path: str, body: dict) -> httpx.Response:
    raw = json.dumps(body).encode()
    cred = env.creds[who]
    headers = sign(cred.secret, f"POST {path}", raw, terminal_id=cred.terminal_id)
    return env.http.post(path, content=raw, headers={**headers, "content-type": "application/json"})


def test_rest_gateway_applies_the_same_policy(env: Env) -> None:
    reg = _reg(env)
    before = snapshot(env)
    for path in ("/v1/cards/suspend", "/v1/cards/cancel", "/v1/cards/get"):
        r = _rest(env, "b1", path, {"ehcid": reg.card.ehcid})
        assert r.status_code == 403 and r.json()["code"] == "NODE_FORBIDDEN_ORGANISATION", r.text
        assert reg.person.document_number not in r.text and reg.person.name not in r.text
    r = _rest(env, "b1", "/v1/qr", {"ehcid": reg.card.ehcid, "code_type": 0})
    assert r.status_code == 403 and r.json()["code"] == "NODE_FORBIDDEN_ORGANISATION"
    r = _rest(env, "b1", "/v1/verify/qr", {"qr_text": reg.qr_text, "context": {
        "org_code": env.creds["a1"].org_code, "use_city": "370800", "channel": "0100", "medical_step": "010101"}})  # fmt: skip
    assert r.status_code == 403 and r.json()["code"] == "NODE_CONTEXT_MISMATCH"
    assert snapshot(env) == before
    r = _rest(env, "a2", "/v1/cards/get", {"ehcid": reg.card.ehcid})
    assert r.status_code == 200 and r.json()["person"]["main_index"] == reg.person.main_index


# ------------------------------------------------------------------ reads of personal data are audited
def _access_rows(env: Env, main_index: str) -> list[tuple]:
    env.node.node.access_audit.flush()
    time.sleep(0.15)
    env.node.node.access_audit.flush()
    return env.node.node.db.query(
        "SELECT action, terminal_id, org_code, detail, time FROM audit WHERE main_index = ? AND action LIKE 'read_%' "
        "ORDER BY id",
        (main_index,),
    )


def _assert_entry(row: tuple, action: str, cred: Credentials, full_identifier: str) -> None:
    got_action, terminal, org, detail, when = row
    assert (got_action, terminal, org) == (action, cred.terminal_id, cred.org_code)
    assert len(when) == 14 and when.isdigit()
    masked = json.loads(detail)["identifier"]
    assert masked and masked != full_identifier and full_identifier not in detail
    assert masked[:3] == full_identifier[:3] and "*" in masked


@pytest.mark.parametrize("transport", ["grpc", "rest"])
def test_personal_data_reads_are_audited(env: Env, transport: str) -> None:
    reg = _reg(env)
    mi, number, ehcid = reg.person.main_index, reg.person.document_number, reg.card.ehcid
    assert _access_rows(env, mi) == []
    if transport == "grpc":
        env.a2.issuance.GetCard(ip.GetCardRequest(ehcid=ehcid))
        env.a2.issuance.Query(ip.QueryRequest(document_number=number))
        env.b1.issuance.Register(register_request(number, context=env.b1.context()))
    else:
        assert _rest(env, "a2", "/v1/cards/get", {"ehcid": ehcid}).status_code == 200
        env.a2.issuance.Query(ip.QueryRequest(document_number=number))  # no REST mirror of Query
        body = json_format.MessageToDict(register_request(number), preserving_proto_field_name=True)
        assert _rest(env, "b1", "/v1/register", body).status_code == 200
    rows = _access_rows(env, mi)
    assert [r[0] for r in rows] == ["read_card", "read_query", "read_register"]
    _assert_entry(rows[0], "read_card", env.creds["a2"], ehcid)
    _assert_entry(rows[1], "read_query", env.creds["a2"], number)
    _assert_entry(rows[2], "read_register", env.creds["b1"], number)


def test_refused_reads_are_not_audited_as_reads(env: Env) -> None:
    reg = _reg(env)
    forbidden(lambda: env.b1.issuance.GetCard(ip.GetCardRequest(ehcid=reg.card.ehcid)))
    assert _access_rows(env, reg.person.main_index) == []


def test_a_new_terminal_of_the_issuing_organisation_owns_existing_cards(env: Env) -> None:
    """Ownership is the organisation's, not the terminal's: a terminal added later may act."""
    reg = _reg(env)
    a3 = _credential(env.admin, env.creds["a1"].org_code + "7700", env.creds["a1"].org_code)
    with NodeClient(env.node.target, a3) as c:
        assert c.issuance.Suspend(ip.CardActionRequest(ehcid=reg.card.ehcid)).card.status == 2


def test_upgrade_keeps_the_card_with_its_issuer(env: Env) -> None:
    subject = _prep_temporary(env)
    out = _upgrade(env.admin, subject)
    assert out.card.org_code == env.creds["a1"].org_code  # not the operator's organisation


def test_migration_gives_existing_persons_their_first_cards_organisation(tmp_path) -> None:
    """A database of schema 4 (before owners were recorded) gets persons.org_code from the issuer of
    each person's first card."""
    from reference_node.store.db import SqliteDatabase
    from reference_node.store.migrations import MIGRATIONS, migrate

    db = SqliteDatabase(tmp_path / "old.db")
    with db.transaction() as cur:
        cur.run(
            "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        for version, description, steps in MIGRATIONS[:4]:
            for step in steps:
                cur.run(db.ddl(step))
            cur.run("INSERT INTO schema_version VALUES (?, ?, ?)", (version, description, "20260101000000"))
        for mi in ("P1", "P2"):
            cur.run(
                "INSERT INTO persons (main_index, doc_type, doc_enc, pii_enc, sex, nation, birth_date, area_code, "
                "created_at, updated_at) VALUES (?, '01', x'00', x'00', '1', '01', '1990-01-01', '370802', '', '')",
                (mi,),
            )
        for ehcid, mi, org, issued in (("E1", "P1", "370800001", "20250101000000"),
                                       ("E2", "P1", "370802001", "20250301000000"),
                                       ("E3", "P2", "370802001", "20250201000000")):  # fmt: skip
            cur.run(
                "INSERT INTO cards (ehcid, main_index, status, attribute, doc_type, application_mode, issued_at, "
                "area_code, org_code, updated_at) VALUES (?, ?, 1, 2, '01', '3', ?, '370802', ?, '')",
                (ehcid, mi, issued, org),
            )
    assert migrate(db) >= 5
    assert dict(db.query("SELECT main_index, org_code FROM persons")) == {
        "P1": "370800001",
        "P2": "370802001",
    }
    db.close()
