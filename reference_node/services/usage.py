"""UsageService: 用卡数据上报. Durable before the ack; idempotent by (reporting terminal, request id)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ehc.errors import EhcError
from ehc.gm import sm3
from ehc.spec.identifiers import mask_id
from reference_node import policy
from reference_node import validation as v
from reference_node.config import parse_time
from reference_node.errors import (
    CARD_UNKNOWN,
    USAGE_CARD_UNKNOWN,
    USAGE_CONFLICT,
)
from reference_node.node import Caller, Node
from reference_node.proto.ehc.node.v1 import usage_pb2 as pb
from reference_node.services.authz import require_org
from reference_node.services.issuance import error_info
from reference_node.store.db import Cursor
from reference_node.store.group import committer_of

_COLUMNS = (
    "request_id, time, org_code, org_name, use_city, scene, medical_step, department, card_type, channel, "
    "payment_category, visit_type, ehcid, card_number_enc, atr, sam_number, reported_terminal"
)


_INSERT = (
    f"INSERT INTO usage (terminal_id, usage_id, content_digest, received_at, card_number_blind, {_COLUMNS}) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (terminal_id, request_id) DO NOTHING"
)


def _validate(node: Node, caller: Caller, r: pb.UsageRecord) -> None:
    v.usage_record(
        r,
        check_org=lambda org: require_org(caller, org),
        own_terminal=None if caller.is_admin else caller.terminal_id,
    )
    _plausible(node, r)
    # seed 001: a hospital card (type 80) is refused from the profile's stop-using date
    hospital = r.card_type == policy.HOSPITAL_CARD_TYPE
    if hospital and (stop := policy.use_refused(node, parse_time(r.time).date())) is not None:
        raise policy.refuse_use(node, caller, "report", mask_id(r.card_number), stop)


def _plausible(node: Node, r: pb.UsageRecord) -> None:
    """REL-F21: a use dated 1900 or 2999, or of an e-card this node never issued, is not stored
    as evidence. The card look-up uses the verification cache (no round trip when warm)."""
    cfg = node.config
    v.usage_time(r.time, node.now(), max_age_days=cfg.usage_max_age_days, max_ahead_s=cfg.usage_max_ahead_s)
    if r.ehcid and cfg.usage_requires_known_card:
        try:
            node.card_view(r.ehcid)
        except EhcError as err:
            if err.code.name != CARD_UNKNOWN.name:
                raise
            raise EhcError(USAGE_CARD_UNKNOWN, field="ehcid") from None


def _store(node: Node, caller: Caller, r: pb.UsageRecord) -> pb.ReportAck:
    _validate(node, caller, r)
    digest = sm3(r.SerializeToString(deterministic=True)).hex()
    usage_id = node.new_id()
    params = (
        caller.terminal_id, usage_id, digest, node.now_text(),
        node.hsm.blind_index("card", r.card_number) if r.card_number else "",
        r.request_id, r.time, r.org_code, r.org_name, r.use_city, r.scene, r.medical_step, r.department,
        r.card_type, r.channel, r.payment_category, r.visit_type, r.ehcid,
        node.hsm.seal(r.card_number.encode()) if r.card_number else None,
        r.atr.upper(), r.sam_number, r.terminal_id or caller.terminal_id,
    )  # fmt: skip

    def insert(cur: Cursor) -> pb.ReportAck:
        # runs in the group committer's transaction; it writes nothing before an EhcError, and a
        # second report with the same (terminal, request id) in the same batch sees the first
        # one's row (same transaction): duplicate or conflict, exactly as across batches
        if cur.run(_INSERT, params) == 0:
            row = cur.one(
                "SELECT content_digest, usage_id FROM usage WHERE terminal_id = ? AND request_id = ?",
                (caller.terminal_id, r.request_id),
            )
            if row is None or row[0] != digest:
                raise EhcError(USAGE_CONFLICT, field="request_id")
            return pb.ReportAck(request_id=r.request_id, accepted=False, duplicate=True, usage_id=row[1])
        return pb.ReportAck(request_id=r.request_id, accepted=True, usage_id=usage_id)

    # returns after the transaction holding this report has committed (WAL fsync'd / PostgreSQL
    # commit): acknowledged = durable; one commit serves every report that arrived meanwhile
    ack = committer_of(node).run(insert)
    if ack.duplicate:
        node.metrics.inc("ehc_node_usage_total", result="duplicate")
    else:
        node.metrics.inc("ehc_node_usage_total", result="accepted", card_type=r.card_type)
    return ack


def report(node: Node, caller: Caller, r: pb.UsageRecord) -> pb.ReportAck:
    return _store(node, caller, r)


def report_stream(node: Node, caller: Caller, records: Iterable[pb.UsageRecord]) -> Iterator[pb.ReportAck]:
    """One ack per record, after its commit; a bad record gets an ack with ``error`` and the stream goes on."""
    for r in records:
        try:
            yield _store(node, caller, r)
        except EhcError as err:
            node.metrics.inc("ehc_node_usage_total", result=err.code.name)
            yield pb.ReportAck(request_id=r.request_id[:64], accepted=False, error=error_info(err))


def query_usage(node: Node, caller: Caller, req: pb.QueryUsageRequest) -> pb.QueryUsageResponse:
    org = req.org_code or ("" if caller.is_admin else caller.org_code)
    if org:
        v.token(org, "org_code", max_len=32)
        require_org(caller, org)
    if req.ehcid:
        v.ehcid(req.ehcid)
    v.time14(req.from_time, "from_time", required=False)
    v.time14(req.to_time, "to_time", required=False)
    where, params = ["1 = 1"], []
    for clause, value in (
        ("org_code = ?", org),
        ("ehcid = ?", req.ehcid),
        ("time >= ?", req.from_time),
        ("time < ?", req.to_time),
    ):
        if value:
            where.append(clause)
            params.append(value)
    limit = min(max(req.limit or 100, 1), 1000)
    rows = node.db.query(
        f"SELECT {_COLUMNS} FROM usage WHERE {' AND '.join(where)} ORDER BY time, request_id LIMIT ?",
        (*params, limit),
    )
    out = pb.QueryUsageResponse()
    for row in rows:
        rec = out.records.add(
            request_id=row[0], time=row[1], org_code=row[2], org_name=row[3], use_city=row[4], scene=row[5],
            medical_step=row[6], department=row[7], card_type=row[8], channel=row[9], payment_category=row[10],
            visit_type=row[11], ehcid=row[12], atr=row[14], sam_number=row[15], terminal_id=row[16],
        )  # fmt: skip
        if row[13] is not None:
            from ehc.spec.identifiers import mask_id

            rec.card_number = mask_id(
                node.hsm.open(bytes(row[13])).decode()
            )  # masked: a report, not an identity
    return out
