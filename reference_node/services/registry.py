"""RegistryService: organisations, terminals (certification status, role) and credentials."""

from __future__ import annotations

from ehc.errors import EhcError
from ehc.gm import random_bytes
from ehc.spec import codes
from reference_node import certificates
from reference_node import validation as v
from reference_node.errors import FIELD_BAD_FORMAT, ORG_UNKNOWN, TERMINAL_UNKNOWN
from reference_node.node import Caller, Node
from reference_node.proto.ehc.node.v1 import registry_pb2 as pb
from reference_node.services.authz import require_admin, require_org


def upsert_organisation(node: Node, caller: Caller, req: pb.Organisation) -> pb.Organisation:
    require_admin(caller)
    v.token(req.code, "code", max_len=32)
    v.text(req.name, "name", max_len=100)
    v.code(req.level, "level", codes.ORG_LEVELS)
    v.area(req.area_code)
    with node.db.transaction() as cur:
        cur.run(
            "INSERT INTO organisations (code, name, level, area_code) VALUES (?, ?, ?, ?) ON CONFLICT (code) DO UPDATE "
            "SET name = excluded.name, level = excluded.level, area_code = excluded.area_code",
            (req.code, req.name, req.level, req.area_code),
        )
    return req


def _org(node: Node, code: str) -> pb.Organisation:
    row = node.db.one("SELECT code, name, level, area_code FROM organisations WHERE code = ?", (code,))
    if row is None:
        raise EhcError(ORG_UNKNOWN)
    return pb.Organisation(code=row[0], name=row[1], level=row[2], area_code=row[3])


def get_organisation(node: Node, caller: Caller, req: pb.GetOrganisationRequest) -> pb.Organisation:
    v.token(req.code, "code", max_len=32)
    return _org(node, req.code)


def list_organisations(
    node: Node, caller: Caller, req: pb.ListOrganisationsRequest
) -> pb.ListOrganisationsResponse:
    v.area(req.area_code, required=False)
    rows = node.db.query(
        "SELECT code, name, level, area_code FROM organisations WHERE (? = '' OR area_code = ?) ORDER BY code",
        (req.area_code, req.area_code),
    )
    return pb.ListOrganisationsResponse(
        organisations=[pb.Organisation(code=r[0], name=r[1], level=r[2], area_code=r[3]) for r in rows]
    )


def upsert_terminal(node: Node, caller: Caller, req: pb.Terminal) -> pb.Terminal:
    require_admin(caller)
    v.token(req.terminal_id, "terminal_id", max_len=32)
    v.token(req.org_code, "org_code", max_len=32)
    v.code(req.terminal_type, "terminal_type", codes.TERMINAL_TYPES)
    v.text(req.description, "description", required=False, max_len=200)
    if (
        req.certification_status not in pb.CertificationStatus.values()
        or req.role not in pb.TerminalRole.values()
    ):
        raise EhcError(FIELD_BAD_FORMAT, "unknown certification_status or role", field="certification_status")
    _org(node, req.org_code)
    out = pb.Terminal()
    out.CopyFrom(req)
    out.certification_status = req.certification_status or pb.CERTIFICATION_STATUS_PENDING
    out.role = req.role or pb.TERMINAL_ROLE_TERMINAL
    with node.db.transaction() as cur:
        cur.run(
            "INSERT INTO terminals (terminal_id, org_code, terminal_type, certification, role, description) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (terminal_id) DO UPDATE SET org_code = excluded.org_code, terminal_type = excluded.terminal_type, "
            "certification = excluded.certification, role = excluded.role, description = excluded.description",
            (
                out.terminal_id,
                out.org_code,
                out.terminal_type,
                out.certification_status,
                out.role,
                out.description,
            ),
        )
        node.credential_changed(cur, out.terminal_id)  # certification or role may have changed
    return out


def _terminal(node: Node, terminal_id: str) -> pb.Terminal:
    row = node.db.one(
        "SELECT terminal_id, org_code, terminal_type, certification, role, description FROM terminals WHERE terminal_id = ?",
        (terminal_id,),
    )
    if row is None:
        raise EhcError(TERMINAL_UNKNOWN)
    return pb.Terminal(
        terminal_id=row[0],
        org_code=row[1],
        terminal_type=row[2],
        certification_status=row[3],
        role=row[4],
        description=row[5],
    )


def get_terminal(node: Node, caller: Caller, req: pb.GetTerminalRequest) -> pb.Terminal:
    v.token(req.terminal_id, "terminal_id", max_len=32)
    t = _terminal(node, req.terminal_id)
    require_org(caller, t.org_code, "terminal_id")
    return t


def list_terminals(node: Node, caller: Caller, req: pb.ListTerminalsRequest) -> pb.ListTerminalsResponse:
    org = req.org_code or ("" if caller.is_admin else caller.org_code)
    if org:
        require_org(caller, org)
    rows = node.db.query(
        "SELECT terminal_id, org_code, terminal_type, certification, role, description FROM terminals "
        "WHERE (? = '' OR org_code = ?) ORDER BY terminal_id",
        (org, org),
    )
    return pb.ListTerminalsResponse(
        terminals=[
            pb.Terminal(
                terminal_id=r[0],
                org_code=r[1],
                terminal_type=r[2],
                certification_status=r[3],
                role=r[4],
                description=r[5],
            )
            for r in rows
        ]
    )


def issue_credential_secret(node: Node, terminal_id: str) -> tuple[bytes, str]:
    """Create or rotate a terminal's secret (stored SM4-sealed); returns (secret, created_at)."""
    secret = random_bytes(32)
    now = node.now_text()
    with node.db.transaction() as cur:
        cur.run(
            "INSERT INTO credentials (terminal_id, secret_enc, created_at, revoked) VALUES (?, ?, ?, 0) "
            "ON CONFLICT (terminal_id) DO UPDATE SET secret_enc = excluded.secret_enc, created_at = excluded.created_at, revoked = 0",
            (terminal_id, node.hsm.seal(secret), now),
        )
        node.credential_changed(cur, terminal_id)  # a rotated secret: the old one stops at once
    return secret, now


def issue_credential(node: Node, caller: Caller, req: pb.IssueCredentialRequest) -> pb.Credential:
    require_admin(caller)
    _terminal(node, v.token(req.terminal_id, "terminal_id", max_len=32))
    secret, now = issue_credential_secret(node, req.terminal_id)
    node.log_event("credential issued", terminal=req.terminal_id)
    return pb.Credential(terminal_id=req.terminal_id, secret_hex=secret.hex(), created_at=now)


def revoke_credential(node: Node, caller: Caller, req: pb.IssueCredentialRequest) -> pb.Credential:
    require_admin(caller)
    v.token(req.terminal_id, "terminal_id", max_len=32)
    with node.db.transaction() as cur:
        if cur.run("UPDATE credentials SET revoked = 1 WHERE terminal_id = ?", (req.terminal_id,)) == 0:
            raise EhcError(TERMINAL_UNKNOWN)
        row = cur.one("SELECT created_at FROM credentials WHERE terminal_id = ?", (req.terminal_id,))
        node.credential_changed(cur, req.terminal_id)  # effective at once here, ≤ 1 poll elsewhere
    return pb.Credential(terminal_id=req.terminal_id, created_at=row[0] if row else "", revoked=True)


# ---------------------------------------------------------------- 检测备案: terminal certificates


def _records(rows: list[dict[str, str]]) -> pb.ListCertificatesResponse:
    return pb.ListCertificatesResponse(certificates=[pb.CertificateRecord(**r) for r in rows])


def trust_lab_key(node: Node, caller: Caller, req: pb.TrustLabKeyRequest) -> pb.TrustLabKeyResponse:
    require_admin(caller)
    v.text(req.label, "label", required=False, max_len=100)
    if not req.public_key_pem or len(req.public_key_pem) > 4096:
        raise EhcError(FIELD_BAD_FORMAT, "public_key_pem: an SM2 public key PEM", field="public_key_pem")
    fingerprint = certificates.trust_lab_key(
        node.db, req.public_key_pem.encode("utf-8", "replace"), req.label, caller.terminal_id
    )
    return pb.TrustLabKeyResponse(key_sm3=fingerprint)


def add_certificate(node: Node, caller: Caller, req: pb.AddCertificateRequest) -> pb.ListCertificatesResponse:
    """The same core as ``ehc node registry add-certificate``, against the node's own profile."""
    require_admin(caller)
    terminal_ids = [v.token(t, "terminal_ids", max_len=32) for t in req.terminal_ids]
    cert = certificates.register(
        node.db, dict(req.files), terminal_ids, certificates.trusted_keys(node.db),
        operator=caller.terminal_id, profile=node.config.profile, changed=node.credential_changed,
    )  # fmt: skip
    return _records(
        [
            r
            for r in certificates.list_certificates(node.db)
            if r["cert_id"] == cert.cert_id and r["terminal_id"] in terminal_ids
        ]
    )


def revoke_certificate(
    node: Node, caller: Caller, req: pb.RevokeCertificateRequest
) -> pb.ListCertificatesResponse:
    require_admin(caller)
    v.text(req.cert_id, "cert_id", max_len=64)
    v.text(req.reason, "reason", max_len=200)
    terminals = certificates.revoke(
        node.db, req.cert_id, req.reason, operator=caller.terminal_id, changed=node.credential_changed
    )
    return _records(
        [
            r
            for r in certificates.list_certificates(node.db)
            if r["cert_id"] == req.cert_id and r["terminal_id"] in terminals
        ]
    )


def list_certificates(
    node: Node, caller: Caller, req: pb.ListCertificatesRequest
) -> pb.ListCertificatesResponse:
    require_admin(caller)
    v.token(req.terminal_id, "terminal_id", required=False, max_len=32)
    return _records(certificates.list_certificates(node.db, req.terminal_id))
