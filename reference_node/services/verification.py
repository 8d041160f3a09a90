"""VerificationService: QR codes and chip cards at the point of care; every attempt is recorded."""

from __future__ import annotations

from ehc.errors import EhcError
from qr_codec import text as qrtext
from reference_node import validation as v
from reference_node.config import fmt_time
from reference_node.errors import (
    CARD_SUSPENDED,
    CARD_UNKNOWN,
    CHIP_ATR_MISMATCH,
    CHIP_SIGNATURE_INVALID,
    CHIP_UNKNOWN,
    FIELD_TOO_LONG,
    QR_EXHAUSTED,
    QR_NOT_ISSUED,
)
from reference_node.node import MEDIUM_DOCUMENT, Caller, CardView, Node
from reference_node.proto.ehc.node.v1 import common_pb2 as c
from reference_node.proto.ehc.node.v1 import verification_pb2 as pb
from reference_node.services.common import check_context
from reference_node.services.issuance import NORMAL, SUPERSEDED, TEMPORARY, _usable
from reference_node.store.db import Cursor
from reference_node.store.group import committer_of

MEDIUM_RESIDENT_HEALTH_CARD = 3
OPAQUE_MAX = 256

# check_context(point_of_care=True) results by (caller, context bytes): a terminal sends the same
# context on every verification, and the check is a pure function of the two (issue #14: ~4 µs a
# call). Only accepted contexts are kept; the shared messages are read, never modified.
_CONTEXTS: dict[tuple[Caller, bytes], c.TerminalContext] = {}
_CONTEXTS_MAX = 4096


def _point_of_care_context(caller: Caller, ctx: c.TerminalContext) -> c.TerminalContext:
    key = (caller, ctx.SerializeToString(deterministic=True))
    checked = _CONTEXTS.get(key)
    if checked is None:
        checked = check_context(caller, ctx, point_of_care=True)
        if len(_CONTEXTS) >= _CONTEXTS_MAX:  # contexts that vary per call (a time field): start over
            _CONTEXTS.clear()
        _CONTEXTS[key] = checked
    return checked


def _flags(view: CardView) -> c.PointOfCareFlags:
    card, person = view.card, view.person
    return c.PointOfCareFlags(
        poverty_relief=person.poverty_relief,
        temporary=card.attribute == TEMPORARY,
        newborn=card.doc_type in ("08", "99") and card.attribute == TEMPORARY,
        suspended=card.status == 2,
        cancelled=card.status == 3,
    )


def _template(view: CardView) -> pb.VerifyResponse:
    template = view.extra.get("verify")
    if not isinstance(template, pb.VerifyResponse):
        template = view.extra["verify"] = pb.VerifyResponse(
            person=view.person_pb, card=view.card_pb, flags=_flags(view)
        )
    return template


def _record(
    node: Node,
    ctx: c.TerminalContext,
    medium: str,
    code_type: str,
    ehcid: str,
    main_index: str,
    err: EhcError | None,
) -> str:
    vid = node.new_id()
    node.verification_log.add((
        vid, node.now_text(), ctx.time, ctx.terminal_id, ctx.org_code, ctx.use_city, ctx.channel, ctx.medical_step,
        ctx.scene, ctx.department, medium, code_type, ehcid, main_index, 0 if err else 1, err.code.name if err else "",
    ))  # fmt: skip
    node.metrics.inc("ehc_node_verifications_total", medium=medium, result=err.code.name if err else "OK")
    return vid


def verify_qr(node: Node, caller: Caller, req: pb.VerifyQrRequest) -> pb.VerifyResponse:
    ctx = _point_of_care_context(caller, req.context)
    if len(req.qr_text) > OPAQUE_MAX:
        raise EhcError(FIELD_TOO_LONG, f"qr_text is longer than {OPAQUE_MAX} characters", field="qr_text")
    ehcid = main_index = ""
    code_type = ""
    medium = "11"  # CARD_MEDIA: e-card QR (a linked code records its own medium)
    try:
        cfg = node.config
        now = node.now()
        try:
            code = node.hsm.parse_qr(req.qr_text, now, cfg.clock_skew_s, cfg.dynamic_max_lifetime_s)
        except EhcError as err:
            linked = _linked_code(node, req.qr_text, err)  # re-raises err unless a linked code
            medium, view = linked
            ehcid, main_index, code_type = view.card.ehcid, view.person.main_index, "1"
            _usable(view.card)
            response = pb.VerifyResponse()
            response.CopyFrom(_template(view))
            response.code_type = c.CODE_TYPE_STATIC
            response.verification_id = _record(node, ctx, medium, code_type, ehcid, main_index, None)
            return response
        ehcid = code.ehcid
        code_type = "0" if code.kind == "dynamic" else "1"
        view = node.card_view(ehcid)
        main_index = view.person.main_index
        _usable(view.card)
        response = pb.VerifyResponse()
        response.CopyFrom(_template(view))  # person, card and flags, built once per cached card
        response.code_type = c.CODE_TYPE_DYNAMIC if code.kind == "dynamic" else c.CODE_TYPE_STATIC
        if code.kind == "dynamic":
            assert code.valid_until is not None  # a dynamic code always carries its validity
            until = fmt_time(code.valid_until)
            response.valid_until = until
            response.surplus_num = _consume(node, ehcid, until)
    except EhcError as err:
        _record(node, ctx, medium, code_type, ehcid, main_index, err)
        raise
    response.verification_id = _record(node, ctx, medium, code_type, ehcid, main_index, None)
    return response


MEDIUM_LINKED_CODE = 11


def _linked_code(node: Node, text: str, err: EhcError) -> tuple[str, CardView]:
    """A text that is not a national code may be another platform's code linked to a person
    (MainIndexService.LinkMedium, MEDIUM_LINKED_CODE). Returns (CARD_MEDIA code, view) or re-raises
    ``err``: a well-formed national code that failed (expired, foreign key) never falls back."""
    try:
        qrtext.parse(text)  # form only, no key
        raise err
    except EhcError as form_error:
        if form_error is err:
            raise
    if not text or not text.isprintable():
        raise err
    with node.db.transaction() as cur:
        row = cur.one(
            "SELECT main_index, card_medium FROM media WHERE medium = ? AND key_blind = ?",
            (MEDIUM_LINKED_CODE, node.hsm.blind_index(f"m{MEDIUM_LINKED_CODE}", text)),
        )
        if row is None or row[0] is None:
            raise err
        person, _ = node.resolve_merges(cur, node.load_person(cur, row[0]))
        cards = [k for k in node.person_cards(cur, person.main_index) if k.status != SUPERSEDED]
    if not cards:
        raise EhcError(CARD_UNKNOWN, "the linked person has no card on this node")
    return row[1] or "99", node.card_view(cards[-1].ehcid)


_DECREMENT = (
    "UPDATE dynamic_codes SET remaining = remaining - 1 WHERE ehcid = ? AND valid_until = ? AND remaining > 0 "
    "AND EXISTS (SELECT 1 FROM cards WHERE cards.ehcid = dynamic_codes.ehcid AND cards.status = ?) "
    "RETURNING remaining"
)


def _consume(node: Node, ehcid: str, until: str) -> int:
    """Atomically take one verification from a dynamic code: correct under concurrency and across
    node processes sharing the store (the row is locked by the UPDATE; the card must be normal).
    The decrement runs in the group committer's shared transaction: many verifications, one
    commit; each answer waits for the commit that holds its decrement, so counts stay exact."""

    def decrement(cur: Cursor) -> tuple[int | None, tuple | None, tuple | None]:
        row = cur.one(_DECREMENT, (ehcid, until, NORMAL))
        if row is not None:
            return int(row[0]), None, None
        code = cur.one(
            "SELECT remaining FROM dynamic_codes WHERE ehcid = ? AND valid_until = ?", (ehcid, until)
        )
        return None, code, cur.one("SELECT status FROM cards WHERE ehcid = ?", (ehcid,))

    remaining, code, status = committer_of(node).run(decrement, durable=node.config.dynamic_counter_durable)
    if remaining is not None:
        return remaining
    node.cards.invalidate([ehcid])  # the cached status may be stale (another process changed it)
    if status is not None and status[0] != NORMAL:
        card = node.card_view(ehcid).card
        _usable(card)
        raise EhcError(CARD_SUSPENDED)
    if code is None:
        raise EhcError(QR_NOT_ISSUED)
    raise EhcError(QR_EXHAUSTED, surplus_num=0)


def verify_chip_card(node: Node, caller: Caller, req: pb.VerifyChipCardRequest) -> pb.VerifyResponse:
    ctx = _point_of_care_context(caller, req.context)
    number = v.pattern(
        req.card_number,
        "card_number",
        __import__("re").compile(r"[0-9A-Za-z]{1,18}"),
        "18 letters/digits",
        max_len=18,
    )
    atr = v.hex_text(req.atr, "atr", required=True, max_len=66)
    ehcid = main_index = ""
    try:
        with node.db.transaction() as cur:
            row = cur.one(
                "SELECT main_index, atr FROM media WHERE medium = ? AND key_blind = ?",
                (MEDIUM_RESIDENT_HEALTH_CARD, node.hsm.blind_index("m3", number)),
            )
            linked_atr = ""
            if row is not None:
                main_index, linked_atr = row[0] or "", row[1] or ""
            else:  # the card number is the holder's ID number (DIGEST §1.1)
                doc = cur.one(
                    "SELECT main_index FROM media WHERE medium = ? AND key_blind = ?",
                    (MEDIUM_DOCUMENT, node.doc_blind("01", number.upper())),
                )
                if doc is None or doc[0] is None:
                    raise EhcError(CHIP_UNKNOWN)
                main_index = doc[0]
            if linked_atr and linked_atr.upper() != atr:
                raise EhcError(CHIP_ATR_MISMATCH)
            signature = bytes(req.issuer_signature)
            if signature or node.config.require_issuer_signature:
                data = bytes(req.signed_data) or (number.encode() + bytes.fromhex(atr))
                if not signature or not node.hsm.issuer_verify(data, signature):
                    raise EhcError(CHIP_SIGNATURE_INVALID)
            person, _ = node.resolve_merges(cur, node.load_person(cur, main_index))
            cards = [k for k in node.person_cards(cur, person.main_index) if k.status != SUPERSEDED]
        main_index = person.main_index
        response = pb.VerifyResponse(person=person.to_proto())
        if cards:
            card = cards[-1]
            ehcid = card.ehcid
            view = CardView(card, person, False, 0.0)
            _usable(card)
            response.card.CopyFrom(card.to_proto())
            response.flags.CopyFrom(_flags(view))
        else:
            response.flags.poverty_relief = person.poverty_relief
    except EhcError as err:
        _record(node, ctx, "10", "", ehcid, main_index, err)
        raise
    response.verification_id = _record(node, ctx, "10", "", ehcid, main_index, None)
    return response
