"""MainIndexService: resolve any medium to one person; link media; merge with an audit trail.

Persons held by another node are referenced by (node id, remote main index), never copied.
"""

from __future__ import annotations

import json

from ehc.errors import EhcError
from ehc.spec import codes
from ehc.spec.identifiers import mask_id
from reference_node import policy
from reference_node import validation as v
from reference_node.errors import (
    CHIP_ATR_MISMATCH,
    FIELD_BAD_FORMAT,
    FIELD_MISSING,
    MEDIUM_NOT_ACCEPTED,
    MEDIUM_TAKEN,
    MEDIUM_UNKNOWN,
    MERGE_INVALID,
    MERGE_UNKNOWN,
)
from reference_node.node import MEDIUM_DOCUMENT, Caller, Node
from reference_node.proto.ehc.node.v1 import common_pb2 as c
from reference_node.proto.ehc.node.v1 import main_index_pb2 as pb
from reference_node.services.authz import require_audit_reader, require_merge_allowed, require_person_owner
from reference_node.services.common import check_context

_FREE_MEDIA = {
    pb.MEDIUM_SOCIAL_SECURITY_CARD,
    pb.MEDIUM_RESIDENT_HEALTH_CARD,
    pb.MEDIUM_HOSPITAL_CARD,
    pb.MEDIUM_CITIZEN_CARD,
    pb.MEDIUM_BANK_CARD_TOKEN,
}


# media a profile's accepted_media governs (profile vocabulary names); the e-card itself (QR,
# EHCID) is always accepted, a hospital card follows the policy dates instead
_PROFILE_MEDIA: dict[int, str] = {
    pb.MEDIUM_CITIZEN_ID: "id-card",
    pb.MEDIUM_SOCIAL_SECURITY_CARD: "ssc",
    pb.MEDIUM_RESIDENT_HEALTH_CARD: "resident-card",
    pb.MEDIUM_BIRTH_CERTIFICATE: "birth-certificate",
    pb.MEDIUM_CITIZEN_CARD: "citizen-card",
    pb.MEDIUM_BANK_CARD_TOKEN: "bank-card",
    pb.MEDIUM_LINKED_CODE: "wallet-code",  # a WeChat/Alipay (or other platform's) linked code
}


def _check_accepted(node: Node, medium: int) -> None:
    accepted = node.config.accepted_media
    name = _PROFILE_MEDIA.get(medium)
    if accepted and name is not None and name not in accepted:
        raise EhcError(MEDIUM_NOT_ACCEPTED, f"{name} is not accepted under profile {node.config.profile}")


def _media_key(
    node: Node, medium: int, identifier: str, document_type: str, issuer: str
) -> tuple[int, str, str]:
    """(medium stored, blind index, normalised identifier) for a medium read."""
    if medium == pb.MEDIUM_CITIZEN_ID:
        number = v.document("01", identifier, "identifier")
        return MEDIUM_DOCUMENT, node.doc_blind("01", number), number
    if medium == pb.MEDIUM_BIRTH_CERTIFICATE:
        number = v.document("08", identifier, "identifier")
        return MEDIUM_DOCUMENT, node.doc_blind(node.config.newborn_document_type, number), number
    if medium == pb.MEDIUM_DOCUMENT:
        number = v.document(document_type, identifier, "identifier")
        return MEDIUM_DOCUMENT, node.doc_blind(document_type, number), number
    if medium == pb.MEDIUM_LINKED_CODE:
        ident = v.text(identifier, "identifier", max_len=256)
        return medium, node.hsm.blind_index(f"m{medium}", ident), ident
    if medium in _FREE_MEDIA:
        ident = v.token(identifier, "identifier", max_len=64)
        if medium == pb.MEDIUM_HOSPITAL_CARD:
            v.token(issuer, "issuer", max_len=32)
            ident = f"{issuer}:{ident}"
        return medium, node.hsm.blind_index(f"m{medium}", ident), ident
    raise EhcError(FIELD_BAD_FORMAT, "medium is not linkable", field="medium")


def resolve(node: Node, caller: Caller, req: pb.ResolveRequest) -> pb.ResolveResponse:
    check_context(caller, req.context)
    if req.medium == pb.MEDIUM_UNSPECIFIED:
        raise EhcError(FIELD_MISSING, "medium is required", field="medium")
    _check_accepted(node, req.medium)
    v.text(req.identifier, "identifier", max_len=256)
    if req.medium in (pb.MEDIUM_EHC_QR, pb.MEDIUM_EHCID):
        if req.medium == pb.MEDIUM_EHC_QR:
            cfg = node.config
            ehcid = node.hsm.parse_qr(
                req.identifier, node.now(), cfg.clock_skew_s, cfg.dynamic_max_lifetime_s
            ).ehcid
        else:
            ehcid = v.ehcid(req.identifier, "identifier")
        view = node.card_view(ehcid)
        with node.db.transaction() as cur:
            cards = node.person_cards(cur, view.person.main_index)
        _audit_resolve(node, caller, req.medium, view.person.main_index, mask_id(ehcid), view.followed_merge)
        return pb.ResolveResponse(
            person=view.person.to_proto(),
            cards=[k.to_proto() for k in cards],
            followed_merge=view.followed_merge,
        )
    atr = v.hex_text(req.atr, "atr", required=False, max_len=66)
    medium, blind, ident = _media_key(node, req.medium, req.identifier, req.document_type, req.issuer)
    if req.medium == pb.MEDIUM_HOSPITAL_CARD and (stop := policy.use_refused(node)) is not None:
        raise policy.refuse_use(node, caller, "resolve", mask_id(ident), stop)
    with node.db.transaction() as cur:
        row = cur.one(
            "SELECT main_index, remote_node, remote_main_index, atr FROM media WHERE medium = ? AND key_blind = ?",
            (medium, blind),
        )
        if row is None and req.medium in (pb.MEDIUM_SOCIAL_SECURITY_CARD, pb.MEDIUM_RESIDENT_HEALTH_CARD):
            # social security number and resident health card number = citizen ID number [I]
            try:
                number = v.document("01", ident, "identifier")
            except EhcError:
                number = ""
            if number:
                row = cur.one(
                    "SELECT main_index, remote_node, remote_main_index, '' FROM media WHERE medium = ? AND key_blind = ?",
                    (MEDIUM_DOCUMENT, node.doc_blind("01", number)),
                )
        if row is None:
            raise EhcError(MEDIUM_UNKNOWN)
        mi, remote_node, remote_mi, linked_atr = row
        if atr and linked_atr and atr != linked_atr.upper():
            raise EhcError(CHIP_ATR_MISMATCH)
        if mi is None:
            _audit_resolve(node, caller, req.medium, f"{remote_node}/{remote_mi}", mask_id(ident), False)
            return pb.ResolveResponse(remote=c.RemoteRef(node_id=remote_node, main_index=remote_mi))
        person, followed = node.resolve_merges(cur, node.load_person(cur, mi))
        cards = node.person_cards(cur, person.main_index)
    _audit_resolve(node, caller, req.medium, person.main_index, mask_id(ident), followed)
    node.metrics.inc("ehc_node_resolve_total", medium=pb.Medium.Name(req.medium))
    return pb.ResolveResponse(
        person=person.to_proto(), cards=[k.to_proto() for k in cards], followed_merge=followed
    )


def _audit_resolve(
    node: Node, caller: Caller, medium: int, target: str, masked_identifier: str, followed: bool
) -> None:
    """Who resolved whom (REL-F8, SEC-005): terminal, organisation, time (the audit row's), the
    main index reached, the medium and its identifier masked. Group-committed (see audit_access)."""
    node.audit_access(
        caller, "resolve", target, medium=pb.Medium.Name(medium), identifier=masked_identifier,
        followed_merge=followed,
    )  # fmt: skip


def _link_target(node: Node, req: pb.LinkMediumRequest) -> tuple[str | None, str | None, str | None]:
    if req.main_index:
        v.main_index(req.main_index)
        return req.main_index, None, None
    if req.remote.node_id or req.remote.main_index:
        v.token(req.remote.node_id, "remote.node_id", max_len=32)
        v.main_index(req.remote.main_index, "remote.main_index")
        if req.remote.node_id == node.config.node_id:
            raise EhcError(
                FIELD_BAD_FORMAT, "remote.node_id is this node; use main_index", field="remote.node_id"
            )
        return None, req.remote.node_id, req.remote.main_index
    raise EhcError(FIELD_MISSING, "main_index or remote is required", field="main_index")


def link_medium(node: Node, caller: Caller, req: pb.LinkMediumRequest) -> pb.LinkMediumResponse:
    return _link(node, caller, req, True)


def unlink_medium(node: Node, caller: Caller, req: pb.LinkMediumRequest) -> pb.LinkMediumResponse:
    return _link(node, caller, req, False)


def _link(node: Node, caller: Caller, req: pb.LinkMediumRequest, link: bool) -> pb.LinkMediumResponse:
    check_context(caller, req.context)
    mi, rnode, rmi = _link_target(node, req)
    if link:
        _check_accepted(node, req.medium)
    medium, blind, ident = _media_key(node, req.medium, req.identifier, req.document_type, req.issuer)
    atr = v.hex_text(req.atr, "atr", required=False, max_len=66)
    card_medium = v.code(req.card_medium, "card_medium", codes.CARD_MEDIA, required=False)
    if link and (req.medium == pb.MEDIUM_HOSPITAL_CARD or card_medium == policy.HOSPITAL_CARD_TYPE):
        policy.check_issue(node)  # seed 001: no new hospital card from the stop-issuing date
    with node.db.transaction() as cur:
        if mi is not None:  # must exist, and be the caller's organisation's (remote refs hold no local data)
            require_person_owner(caller, node.load_person(cur, mi), "LinkMedium" if link else "UnlinkMedium")
        row = cur.one(
            "SELECT main_index, remote_node, remote_main_index, atr FROM media WHERE medium = ? AND key_blind = ?",
            (medium, blind),
        )
        same = row is not None and (row[0], row[1], row[2]) == (mi, rnode, rmi)
        if link:
            if row is not None and not same:
                raise EhcError(MEDIUM_TAKEN)
            changed = row is None
            reissue = same and req.medium == pb.MEDIUM_RESIDENT_HEALTH_CARD and atr and row and row[3]
            if reissue and row is not None and row[3].upper() != atr.upper():
                # 补卡: the same card number (the holder's ID number) on a new chip for a lost or
                # damaged card; from now on the old chip's ATR is refused (NODE_CHIP_ATR_MISMATCH)
                cur.run("UPDATE media SET atr = ? WHERE medium = ? AND key_blind = ?", (atr, medium, blind))
                node.audit(
                    cur, caller, "reissue", mi or f"{rnode}/{rmi}", medium=pb.Medium.Name(req.medium),
                    identifier=mask_id(ident), replaced_atr=row[3][-8:], atr=atr[-8:],
                )  # fmt: skip
                return pb.LinkMediumResponse(
                    main_index=mi or "", remote=c.RemoteRef(node_id=rnode or "", main_index=rmi or ""),
                    medium=req.medium, changed=True,
                )  # fmt: skip
            if changed:
                cur.run(
                    "INSERT INTO media (medium, key_blind, main_index, remote_node, remote_main_index, identifier_enc, atr, "
                    "card_medium, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        medium,
                        blind,
                        mi,
                        rnode,
                        rmi,
                        node.hsm.seal(ident.encode()),
                        atr,
                        card_medium,
                        node.now_text(),
                    ),
                )
        else:
            changed = same
            if same:
                cur.run("DELETE FROM media WHERE medium = ? AND key_blind = ?", (medium, blind))
        if changed:
            node.audit(
                cur,
                caller,
                "link" if link else "unlink",
                mi or f"{rnode}/{rmi}",
                medium=pb.Medium.Name(req.medium),
                identifier=mask_id(ident),
            )
    return pb.LinkMediumResponse(
        main_index=mi or "",
        remote=c.RemoteRef(node_id=rnode or "", main_index=rmi or ""),
        medium=req.medium,
        changed=changed,
    )


def merge(node: Node, caller: Caller, req: pb.MergeRequest) -> pb.MergeResponse:
    check_context(caller, req.context)
    keep = v.main_index(req.surviving_main_index, "surviving_main_index")
    gone = v.main_index(req.merged_main_index, "merged_main_index")
    reason = v.text(req.reason, "reason", required=False, max_len=200)
    if keep == gone:
        raise EhcError(MERGE_INVALID, "cannot merge a person into themself")
    with node.db.transaction() as cur:
        a, b = node.load_person(cur, keep), node.load_person(cur, gone)
        require_merge_allowed(caller, a, b, "Merge")
        if a.merged_into or b.merged_into:
            raise EhcError(MERGE_INVALID, "one of the persons is already merged")
        merge_id = node.new_id()
        now = node.now_text()
        cur.run(
            "UPDATE persons SET merged_into = ?, updated_at = ? WHERE main_index = ? AND merged_into IS NULL",
            (keep, now, gone),
        )
        cur.run(
            "INSERT INTO merges (merge_id, surviving, merged, reason, active, created_at) VALUES (?, ?, ?, ?, 1, ?)",
            (merge_id, keep, gone, reason, now),
        )
        node.audit(cur, caller, "merge", keep, merge_id=merge_id, merged=gone, reason=reason)
        node.audit(cur, caller, "merged_into", gone, merge_id=merge_id, surviving=keep, reason=reason)
        node.invalidate(cur, ["*"])  # merge chains can be deep; merges are rare: drop every cache
    return pb.MergeResponse(merge_id=merge_id, surviving_main_index=keep, merged_main_index=gone, active=True)


def unmerge(node: Node, caller: Caller, req: pb.UnmergeRequest) -> pb.MergeResponse:
    check_context(caller, req.context)
    merge_id = v.token(req.merge_id, "merge_id", max_len=64)
    reason = v.text(req.reason, "reason", required=False, max_len=200)
    with node.db.transaction() as cur:
        row = cur.one("SELECT surviving, merged FROM merges WHERE merge_id = ? AND active = 1", (merge_id,))
        if row is None:
            raise EhcError(MERGE_UNKNOWN)
        keep, gone = row
        require_merge_allowed(caller, node.load_person(cur, keep), node.load_person(cur, gone), "Unmerge")
        now = node.now_text()
        cur.run("UPDATE merges SET active = 0, undone_at = ? WHERE merge_id = ?", (now, merge_id))
        cur.run("UPDATE persons SET merged_into = NULL, updated_at = ? WHERE main_index = ?", (now, gone))
        node.audit(cur, caller, "unmerge", keep, merge_id=merge_id, merged=gone, reason=reason)
        node.audit(cur, caller, "unmerged", gone, merge_id=merge_id, surviving=keep, reason=reason)
        node.invalidate(cur, ["*"])
    return pb.MergeResponse(
        merge_id=merge_id, surviving_main_index=keep, merged_main_index=gone, active=False
    )


def get_audit(node: Node, caller: Caller, req: pb.GetAuditRequest) -> pb.GetAuditResponse:
    v.main_index(req.main_index)
    require_audit_reader(node, caller, req.main_index)
    limit = min(max(req.limit or 100, 1), 1000)
    rows = node.db.query(
        "SELECT time, action, main_index, detail, terminal_id, org_code FROM audit WHERE main_index = ? ORDER BY id DESC LIMIT ?",
        (req.main_index, limit),
    )
    return pb.GetAuditResponse(
        entries=[
            pb.AuditEntry(
                time=r[0], action=r[1], main_index=r[2], detail=r[3], terminal_id=r[4], org_code=r[5]
            )
            for r in rows
        ]
    )


__all__ = ["resolve", "link_medium", "unlink_medium", "merge", "unmerge", "get_audit", "json"]
