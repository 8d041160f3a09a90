"""IssuanceService: registration, batch pre-generation, newborns, QR codes, card life cycle, family."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from ehc.errors import EhcError
from ehc.spec import codes
from ehc.spec.identifiers import citizen_id_facts, mask_id
from qr_codec import text as qrtext
from reference_node import validation as v
from reference_node.config import PRIORITY_GROUPS, fmt_time
from reference_node.errors import (
    CARD_CANCELLED,
    CARD_NOT_TEMPORARY,
    CARD_STATE_CONFLICT,
    CARD_SUPERSEDED,
    CARD_SUSPENDED,
    CARD_UNKNOWN,
    DOCUMENT_INVALID,
    EMPI_KEY_REQUIRED,
    FAMILY_INVALID,
    FIELD_BAD_CODE,
    FIELD_BAD_FORMAT,
    FIELD_MISSING,
    IDENTITY_CONFLICT,
    MEDIUM_NOT_ACCEPTED,
    PERSON_UNKNOWN,
    QR_REISSUE_REFUSED,
)
from reference_node.node import (
    AUDIT_INSERT,
    MEDIUM_DOCUMENT,
    Caller,
    CardRecord,
    Node,
    PersonRecord,
    _audit_row,
    identity_type,
)
from reference_node.proto.ehc.node.v1 import common_pb2 as c
from reference_node.proto.ehc.node.v1 import issuance_pb2 as pb
from reference_node.services.authz import require_card_owner, require_person_owner
from reference_node.services.common import check_context
from reference_node.store.db import Cursor

NORMAL, SUSPENDED, CANCELLED, SUPERSEDED = 1, 2, 3, 4
TEMPORARY, FORMAL = 1, 2
MEDIUM_SOCIAL_SECURITY_CARD = 2
TEMPORARY_DOC_TYPES = frozenset({"08"})


# ------------------------------------------------------------------ registration
@dataclass(slots=True)
class Prepared:
    index: int
    request_id: str
    doc_type: str
    doc_number: str
    blind: str
    person: PersonRecord
    attribute: int
    mode: str
    ssc_number: str
    org_code: str


def prepare(
    node: Node, caller: Caller, req: pb.RegisterRequest, index: int = 0, *, temporary: bool = False
) -> Prepared:
    """Validate one registration record (raises EhcError naming the field)."""
    ctx = check_context(caller, req.context)
    mode = v.code(req.application_mode, "application_mode", codes.APPLICATION_MODES)
    doc_type = req.document_type
    number = v.document(doc_type, req.document_number)
    name = v.text(req.name, "name", max_len=50)
    sex = v.code(req.sex, "sex", codes.SEXES)
    nation = v.code(req.nation, "nation", codes.NATIONS, required=False) or "99"
    birth = v.iso_date(req.birth_date, "birth_date", required=doc_type not in ("01", "02"))
    if doc_type in ("01", "02"):
        from_id = f"{number[6:10]}-{number[10:12]}-{number[12:14]}"  # number is normalised and valid
        if birth and birth != from_id:
            raise EhcError(
                DOCUMENT_INVALID, "birth_date differs from the one in the ID number", field="birth_date"
            )
        birth = from_id
    # no residence given: a resident of the profile's pilot county/district, whose plan the node
    # runs (area.county / area.district); without one the code is required
    area = v.area(req.area_code or node.config.pilot_area, "area_code")
    phone = v.phone(req.phone)
    address = v.text(req.address, "address", required=False, max_len=200)
    family_id = v.token(req.family_id, "family_id", required=False)
    ssc = v.token(req.social_security_card_number, "social_security_card_number", required=False, max_len=32)
    request_id = v.token(req.request_id, "request_id", required=False)
    attribute = TEMPORARY if (temporary or doc_type in TEMPORARY_DOC_TYPES) else FORMAL
    if attribute == FORMAL and node.config.empi_key == "citizen-id" and doc_type not in ("01", "02"):
        # profile empi.key (Zibo, seed 002): the citizen ID is the main index; others get temporary cards
        raise EhcError(EMPI_KEY_REQUIRED, field="document_type")
    groups = priority_groups(req.priority_groups)
    if doc_type == "08" or (temporary and doc_type == "99"):
        groups.add("newborn")  # registered on the birth certificate (出生医学证明): a newborn
    person = PersonRecord(
        node.hsm.main_index(node.config.node_id, identity_type(doc_type), number), doc_type, number, name, phone, address, sex,
        nation, birth, area, req.poverty_relief or "poverty" in groups, family_id, None, ctx.org_code,
        _stored_groups(groups),
    )  # fmt: skip
    return Prepared(
        index,
        request_id,
        doc_type,
        number,
        node.doc_blind(doc_type, number),
        person,
        attribute,
        mode,
        ssc,
        ctx.org_code,
    )


def priority_groups(values: Iterable[str], field: str = "priority_groups") -> set[str]:
    """The priority groups named (config.PRIORITY_GROUPS); FIELD_BAD_CODE for any other name."""
    groups = set()
    for value in values:
        if value not in PRIORITY_GROUPS:
            raise EhcError(
                FIELD_BAD_CODE,
                f"priority group {value[:40]!r} is not one of {', '.join(PRIORITY_GROUPS)}",
                field=field,
            )
        groups.add(value)
    return groups


def _stored_groups(groups: set[str]) -> tuple[str, ...]:
    """The groups kept in persons.priority_groups, in vocabulary order: "poverty" is poverty_relief."""
    return tuple(g for g in PRIORITY_GROUPS if g in groups and g != "poverty")


@dataclass(slots=True)
class Registered:
    prepared: Prepared
    main_index: str
    ehcid: str
    person_created: bool
    card_created: bool
    card: CardRecord


def commit_registrations(node: Node, caller: Caller, items: list[Prepared]) -> list[Registered | EhcError]:
    """Register a chunk in one transaction: batched look-ups, ``executemany`` inserts."""
    now = node.now_text()
    out: list[Registered | EhcError] = []
    with node.db.transaction() as cur:
        _custom_plans(cur)
        existing: dict[str, tuple[str | None, str | None]] = {}
        blinds = list({p.blind for p in items})
        for i in range(0, len(blinds), 500):
            part = blinds[i : i + 500]
            marks = ",".join("?" * len(part))
            for blind, mi, remote in cur.all(
                f"SELECT key_blind, main_index, remote_node FROM media WHERE medium = ? AND key_blind IN ({marks})",
                (MEDIUM_DOCUMENT, *part),
            ):
                existing[blind] = (mi, remote)
        merged_to: dict[str, str] = {}
        known = [mi for mi, _ in existing.values() if mi]
        for i in range(0, len(known), 500):
            part = known[i : i + 500]
            marks = ",".join("?" * len(part))
            for mi, merged in cur.all(
                f"SELECT main_index, merged_into FROM persons WHERE main_index IN ({marks})", part
            ):
                if merged:
                    merged_to[mi] = merged
        new_persons: list[tuple] = []
        new_media: list[tuple] = []
        seen: dict[str, str] = {}
        planned: list[tuple[Prepared, str, bool] | EhcError] = []
        for p in items:
            found = existing.get(p.blind)
            if found is not None and found[0] is None:
                planned.append(
                    EhcError(IDENTITY_CONFLICT, "person is held by another node", node=found[1] or "")
                )
                continue
            if found is not None:
                mi, created = found[0], False
                for _ in range(8):
                    if mi not in merged_to:
                        break
                    mi = merged_to[mi]
            elif p.blind in seen:
                mi, created = seen[p.blind], False
            else:
                mi, created = p.person.main_index, True
                seen[p.blind] = mi
                pr = p.person
                doc_sealed = node.hsm.seal(p.doc_number.encode())
                new_persons.append((
                    mi, p.doc_type, doc_sealed, node.seal_pii(pr.name, pr.phone, pr.address),
                    pr.sex, pr.nation, pr.birth_date, pr.area_code, int(pr.poverty_relief), pr.family_id, now, now,
                    p.org_code, ",".join(pr.priority_groups),
                ))  # fmt: skip
                new_media.append((MEDIUM_DOCUMENT, p.blind, mi, doc_sealed, now))
                if p.ssc_number:
                    new_media.append((
                        MEDIUM_SOCIAL_SECURITY_CARD, node.hsm.blind_index("m2", p.ssc_number), mi,
                        node.hsm.seal(p.ssc_number.encode()), now,
                    ))  # fmt: skip
            planned.append((p, mi, created))
        # EHCIDs and card look-ups before the first INSERT: on SQLite the write lock is taken
        # there, and other node processes importing at the same time wait for it
        ehcids: dict[int, str] = {}
        for k, plan in enumerate(planned):
            if not isinstance(plan, EhcError):
                p, mi, _ = plan
                ehcids[k] = node.hsm.derive_ehcid(mi, p.doc_type, p.doc_number)
        have: dict[str, CardRecord] = {}
        values = list(set(ehcids.values()))
        for i in range(0, len(values), 500):
            part = values[i : i + 500]
            marks = ",".join("?" * len(part))
            from reference_node.node import CARD_COLUMNS, card_from_row

            for row in cur.all(f"SELECT {CARD_COLUMNS} FROM cards WHERE ehcid IN ({marks})", part):
                have[row[0]] = card_from_row(row)
        # rows in key order: each B-tree is walked left to right once per chunk instead of at
        # random (fewer pages read and dirtied once the tables outgrow the page cache)
        new_persons.sort(key=_first)
        new_media.sort(key=_first_two)
        cur.many(
            "INSERT INTO persons (main_index, doc_type, doc_enc, pii_enc, sex, nation, birth_date, area_code, "
            "poverty_relief, family_id, created_at, updated_at, org_code, priority_groups) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (main_index) DO NOTHING",
            new_persons,
        )
        cur.many(
            "INSERT INTO media (medium, key_blind, main_index, identifier_enc, created_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (medium, key_blind) DO NOTHING",
            new_media,
        )
        new_cards: list[tuple] = []
        for k, plan in enumerate(planned):
            if isinstance(plan, EhcError):
                out.append(plan)
                continue
            p, mi, created = plan
            ehcid = ehcids[k]
            card = have.get(ehcid)
            card_created = card is None
            if card is None:
                card = CardRecord(
                    ehcid, mi, NORMAL, p.attribute, p.doc_type, p.mode, now, p.person.area_code, p.org_code
                )
                have[ehcid] = card
                new_cards.append(
                    (
                        ehcid,
                        mi,
                        NORMAL,
                        p.attribute,
                        p.doc_type,
                        p.mode,
                        now,
                        p.person.area_code,
                        p.org_code,
                        now,
                    )
                )
            out.append(Registered(p, mi, ehcid, created, card_created, card))
        new_cards.sort(key=_first)
        cur.many(
            "INSERT INTO cards (ehcid, main_index, status, attribute, doc_type, application_mode, issued_at, area_code, "
            "org_code, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (ehcid) DO NOTHING",
            new_cards,
        )
    node.metrics.inc("ehc_node_cards_issued_total", float(len(new_cards)))
    return out


def _first(row: tuple) -> Any:
    return row[0]


def _first_two(row: tuple) -> Any:
    return row[0], row[1]


def _custom_plans(cur: Cursor) -> None:
    """PostgreSQL: plan this transaction's look-ups of 500 keys (``IN (?, ?, …)``) for their values.
    psycopg prepares a statement run 5 times and the server may then keep a generic plan, where an
    IN list of parameters is searched linearly for every row of a sequential scan — the scan it
    picks while a freshly imported table has no statistics yet: 183 ms per 500 blinds at 40,000
    media rows. A custom plan hashes the list or uses the index (issue #14)."""
    if cur.db.dialect == "postgresql":
        cur.run("SET LOCAL plan_cache_mode = force_custom_plan")


def _register_response(node: Node, result: Registered) -> pb.RegisterResponse:
    if result.person_created:
        person = result.prepared.person
    else:
        with node.db.transaction() as cur:
            person = node.load_person(cur, result.main_index)
    return pb.RegisterResponse(
        person=person.to_proto(),
        card=result.card.to_proto(),
        qr_text=qrtext.make_static(result.ehcid),
        person_created=result.person_created,
        card_created=result.card_created,
    )


def register(node: Node, caller: Caller, req: pb.RegisterRequest) -> pb.RegisterResponse:
    result = commit_registrations(node, caller, [prepare(node, caller, req)])[0]
    if isinstance(result, EhcError):
        raise result
    node.log_event(
        "register",
        doc=mask_id(result.prepared.doc_number),
        created=result.person_created,
        org=caller.org_code,
    )
    if not result.person_created:
        # a repeat Register answers with the person on record (any organisation may ask): a read
        _audit_read(node, caller, "read_register", result.main_index, mask_id(result.prepared.doc_number))
    return _register_response(node, result)


def _audit_read(node: Node, caller: Caller, action: str, main_index: str, masked: str) -> None:
    """A read that returned personal data: terminal, organisation, time, main index, identifier
    masked; group-committed like Resolve's entries (``Node.audit_access``)."""
    node.audit_access(caller, action, main_index, identifier=masked)


class _Batch:
    """Registrations of one stream: validated as they arrive, committed per chunk, answered per item."""

    def __init__(self, node: Node, caller: Caller) -> None:
        self.node, self.caller = node, caller
        self.accepted = self.rejected = self.bound = 0
        self.pending: list[Prepared] = []
        self.failures: list[pb.RegisterBatchItem] = []

    def add(self, index: int, req: pb.RegisterRequest) -> bool:
        """Take one record; True when a chunk is full (call ``flush``)."""
        try:
            self.pending.append(prepare(self.node, self.caller, req, index))
        except EhcError as err:
            self.failures.append(
                pb.RegisterBatchItem(
                    index=index, request_id=req.request_id[:64], ok=False, error=error_info(err)
                )
            )
        return len(self.pending) + len(self.failures) >= self.node.config.batch_chunk_size

    def __bool__(self) -> bool:
        return bool(self.pending or self.failures)

    def take(self) -> Callable[[], pb.RegisterBatchResult]:
        """Hand the chunk over: a function committing it and answering for it (which may run on
        another thread while this one takes the next records; one at a time, in order)."""
        pending, failures = self.pending, self.failures
        self.pending, self.failures = [], []
        return lambda: self._commit(pending, failures)

    def _commit(
        self, pending: list[Prepared], failures: list[pb.RegisterBatchItem]
    ) -> pb.RegisterBatchResult:
        with self.node.db.batch_budget():
            results = commit_registrations(self.node, self.caller, pending) if pending else []
        # answers in stream order, built in place in the result (no message built, then copied)
        out = self.result()
        add = out.items.add
        failures = sorted(failures, key=lambda it: it.index)
        f = 0
        ok = 0
        for prep, res in zip(pending, results, strict=True):
            while f < len(failures) and failures[f].index < prep.index:
                out.items.append(failures[f])
                f += 1
            if isinstance(res, EhcError):
                add(index=prep.index, request_id=prep.request_id, ok=False, error=error_info(res))
            else:
                ok += 1
                add(index=prep.index, request_id=prep.request_id, ok=True, main_index=res.main_index,
                    ehcid=res.ehcid, person_created=res.person_created)  # fmt: skip
        out.items.extend(failures[f:])
        self.accepted += ok
        self.rejected += len(out.items) - ok
        out.accepted_so_far, out.rejected_so_far = self.accepted, self.rejected
        return out

    def result(self, **fields: Any) -> pb.RegisterBatchResult:
        return pb.RegisterBatchResult(
            accepted_so_far=self.accepted, rejected_so_far=self.rejected, bound_so_far=self.bound, **fields
        )


class _Behind:
    """One chunk's commit in flight behind the stream: the next records are received and validated
    while the previous chunk commits (SQLite's inserts and fsync, PostgreSQL's server work: mostly
    without the GIL). Answers still go out in stream order, each only after its own commit."""

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._future: Future[pb.RegisterBatchResult] | None = None

    def submit(self, commit: Callable[[], pb.RegisterBatchResult]) -> Iterator[pb.RegisterBatchResult]:
        """Start ``commit`` once the one before it has ended; yields that one's answer."""
        yield from self.wait()
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="ehc-batch-commit")
        self._future = self._pool.submit(commit)

    def wait(self) -> Iterator[pb.RegisterBatchResult]:
        """The answer of the commit in flight, once it has ended (raises what it raised)."""
        future, self._future = self._future, None
        if future is not None:
            yield future.result()

    def close(self) -> None:
        """Let a commit in flight end (a cancelled stream: never half a chunk), stop the thread."""
        if self._future is not None:
            try:
                self._future.result()
            except Exception:  # noqa: BLE001 - the stream has already ended; nothing to answer
                pass
        if self._pool is not None:
            self._pool.shutdown(wait=True)


def register_batch(
    node: Node, caller: Caller, requests: Iterable[pb.RegisterRequest]
) -> Iterator[pb.RegisterBatchResult]:
    """Validate each record, commit per chunk, stream back per-item results after each commit."""
    batch = _Batch(node, caller)
    behind = _Behind()
    try:
        for index, req in enumerate(requests):
            if batch.add(index, req):
                yield from behind.submit(batch.take())
        if batch:
            yield from behind.submit(batch.take())
        yield from behind.wait()
    finally:
        behind.close()
    node.log_event("register batch", accepted=batch.accepted, rejected=batch.rejected, org=caller.org_code)


def register_batch_chunks(
    node: Node, caller: Caller, chunks: Iterable[pb.RegisterChunk]
) -> Iterator[pb.RegisterBatchResult]:
    """Like RegisterBatch, records in chunks; a chunk's family bindings are applied once every
    record before them is committed, all bindings of a chunk in one transaction (a population
    import binds ~18,000 families per 100,000 persons: one unary BindFamily each was most of it)."""
    batch = _Batch(node, caller)
    behind = _Behind()
    index = bindex = 0
    try:
        for chunk in chunks:
            for req in chunk.records:
                if batch.add(index, req):
                    yield from behind.submit(batch.take())
                index += 1
            if chunk.bindings:
                if batch:
                    yield from behind.submit(batch.take())
                yield from behind.wait()  # the records before them are committed
                with node.db.batch_budget():
                    items = _bind_many(node, caller, chunk.bindings, bindex)
                bindex += len(chunk.bindings)
                batch.bound += sum(1 for it in items if it.ok)
                yield batch.result(bindings=items)
        if batch:
            yield from behind.submit(batch.take())
        yield from behind.wait()
    finally:
        behind.close()
    node.log_event("register batch", accepted=batch.accepted, rejected=batch.rejected, bound=batch.bound,
                   org=caller.org_code)  # fmt: skip


def _owners_of_cards(cur: Cursor, ehcids: Iterable[str]) -> dict[str, tuple[str, str] | EhcError]:
    """Per card: (surviving main index, owner organisation) of its person, or the error a lookup of
    that card alone gives (CARD_UNKNOWN, PERSON_UNKNOWN); batched ``IN`` look-ups, without opening
    personal data. Merges are followed at most 8 times, as ``Node.resolve_merges`` does."""
    wanted = list(dict.fromkeys(ehcids))
    mi_of: dict[str, str] = {}
    for i in range(0, len(wanted), 500):
        part = wanted[i : i + 500]
        marks = ",".join("?" * len(part))
        mi_of.update(cur.all(f"SELECT ehcid, main_index FROM cards WHERE ehcid IN ({marks})", part))
    persons: dict[str, tuple[str | None, str]] = {}
    todo = set(mi_of.values())
    for _ in range(9):  # each round reads the persons the previous round's merged into
        fetch = [mi for mi in todo if mi not in persons]
        if not fetch:
            break
        todo = set()
        for i in range(0, len(fetch), 500):
            part = fetch[i : i + 500]
            marks = ",".join("?" * len(part))
            for mi, merged, org in cur.all(
                f"SELECT main_index, merged_into, org_code FROM persons WHERE main_index IN ({marks})", part
            ):
                persons[mi] = (merged, org or "")
                if merged:
                    todo.add(merged)
    out: dict[str, tuple[str, str] | EhcError] = {}
    for ehcid in wanted:
        mi = mi_of.get(ehcid)
        if mi is None:
            out[ehcid] = EhcError(CARD_UNKNOWN)
            continue
        found: tuple[str, str] | EhcError | None = None
        for _ in range(8):
            person = persons.get(mi)
            if person is None:
                found = EhcError(PERSON_UNKNOWN, main_index=mi[:8] + "…")
                break
            if not person[0]:
                found = (mi, person[1])
                break
            mi = person[0]
        out[ehcid] = found if found is not None else (mi, person[1])  # type: ignore[index]
    return out


def _bind_many(
    node: Node, caller: Caller, bindings: Iterable[pb.BindFamilyRequest], first: int
) -> list[pb.RegisterBatchItem]:
    """Bind families, one transaction for all: cards and persons read with one ``IN`` query per
    500 (not 4 look-ups per binding), family rows and their audit entries inserted in batches."""
    items: list[pb.RegisterBatchItem] = []
    now = node.now_text()
    reqs = list(bindings)
    family: dict[tuple[str, str], str] = {}  # a pair bound twice in a chunk: the last relation wins
    audits: list[tuple] = []
    with node.db.transaction() as cur:
        _custom_plans(cur)
        owners = _owners_of_cards(
            cur, [e for r in reqs for e in (r.guardian_ehcid, r.member_ehcid) if _well_formed_ehcid(e)]
        )
        for k, req in enumerate(reqs, start=first):
            try:  # nothing is written before an EhcError: the transaction stays usable
                check_context(caller, req.context)
                v.ehcid(req.guardian_ehcid, "guardian_ehcid")
                v.ehcid(req.member_ehcid, "member_ehcid")
                relation = v.token(req.relation, "relation", required=False, max_len=20) or "guardian"
                g_owner = owners.get(req.guardian_ehcid) or EhcError(CARD_UNKNOWN)
                if isinstance(g_owner, EhcError):
                    raise g_owner
                m_owner = owners.get(req.member_ehcid) or EhcError(CARD_UNKNOWN)
                if isinstance(m_owner, EhcError):
                    raise m_owner
                (g, g_org), (m, m_org) = g_owner, m_owner
                for org, field in ((g_org, "guardian_ehcid"), (m_org, "member_ehcid")):
                    require_person_owner(caller, _OrgOnly(org), "BindFamily", field)  # type: ignore[arg-type]
                if g == m:
                    raise EhcError(FAMILY_INVALID, "a person cannot be bound to themself")
            except EhcError as err:
                items.append(pb.RegisterBatchItem(index=k, ok=False, error=error_info(err)))
                continue
            family.pop((g, m), None)
            family[(g, m)] = relation
            audits.append(_audit_row(now, caller, "bind", g, {"member": m, "relation": relation}))
            items.append(pb.RegisterBatchItem(index=k, ok=True, main_index=g))
        cur.many(
            "INSERT INTO family (guardian, member, relation, created_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (guardian, member) DO UPDATE SET relation = excluded.relation",
            [(g, m, relation, now) for (g, m), relation in family.items()],
        )
        cur.many(AUDIT_INSERT, audits)
    return items


def _well_formed_ehcid(text: str) -> bool:
    """Worth a look-up: a well-formed EHCID (the others are refused by ``v.ehcid`` per binding)."""
    try:
        v.ehcid(text)
    except EhcError:
        return False
    return True


@dataclass(frozen=True)
class _OrgOnly:
    org_code: str


def error_info(err: EhcError) -> c.ErrorInfo:
    return c.ErrorInfo(
        code=err.code.name,
        number=err.code.number,
        message=err.message,
        field=str(err.detail.get("field", "")),
    )


def register_newborn(node: Node, caller: Caller, req: pb.RegisterNewbornRequest) -> pb.RegisterResponse:
    accepted = node.config.accepted_media
    if accepted and "birth-certificate" not in accepted:
        # the child's card is found by its birth certificate: a profile that does not take that
        # medium cannot issue one (profile accepted_media)
        raise EhcError(
            MEDIUM_NOT_ACCEPTED, f"birth-certificate is not accepted under profile {node.config.profile}"
        )
    doc_type = req.document_type or node.config.newborn_document_type
    if doc_type not in ("08", "99"):
        raise EhcError(FIELD_BAD_FORMAT, "newborn document_type must be 08 or 99", field="document_type")
    if doc_type == "99":
        v.document("08", req.birth_certificate, "birth_certificate")  # same number format either way
    relation = v.token(req.relation, "relation", required=False, max_len=20) or "guardian"
    guardian_mi = _guardian(node, req)
    reg = pb.RegisterRequest(
        application_mode=req.application_mode or "5", name=req.name, document_type=doc_type,
        document_number=req.birth_certificate, sex=req.sex, nation=req.nation, birth_date=req.birth_date,
        area_code=req.area_code, context=req.context,
    )  # fmt: skip
    if not req.birth_certificate:
        raise EhcError(FIELD_MISSING, "birth_certificate is required", field="birth_certificate")
    result = commit_registrations(node, caller, [prepare(node, caller, reg, temporary=True)])[0]
    if isinstance(result, EhcError):
        raise result
    with node.db.transaction() as cur:
        cur.run(
            "INSERT INTO family (guardian, member, relation, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (guardian, member) DO NOTHING",
            (guardian_mi, result.main_index, relation, node.now_text()),
        )
        node.audit(cur, caller, "newborn", result.main_index, guardian=guardian_mi, relation=relation)
    return _register_response(node, result)


def _guardian(node: Node, req: pb.RegisterNewbornRequest) -> str:
    with node.db.transaction() as cur:
        if req.guardian_main_index:
            v.main_index(req.guardian_main_index, "guardian_main_index")
            person = node.load_person(cur, req.guardian_main_index)
        else:
            number = v.document(
                req.guardian_document_type or "01", req.guardian_document_number, "guardian_document_number"
            )
            row = cur.one(
                "SELECT main_index FROM media WHERE medium = ? AND key_blind = ?",
                (MEDIUM_DOCUMENT, node.doc_blind(req.guardian_document_type or "01", number)),
            )
            if row is None or row[0] is None:
                raise EhcError(PERSON_UNKNOWN, "guardian is not registered", field="guardian_document_number")
            person = node.load_person(cur, row[0])
        return node.resolve_merges(cur, person)[0].main_index


def upgrade_temporary(node: Node, caller: Caller, req: pb.UpgradeTemporaryRequest) -> pb.RegisterResponse:
    check_context(caller, req.context)
    v.ehcid(req.ehcid)
    doc_type = req.document_type or "01"
    if doc_type not in ("01", "02"):
        raise EhcError(
            FIELD_BAD_FORMAT, "a temporary card is upgraded to a citizen ID (01)", field="document_type"
        )
    number = v.document(doc_type, req.document_number)
    now = node.now_text()
    with node.db.transaction() as cur:
        old = node.load_card(cur, req.ehcid)
        require_card_owner(caller, old, "UpgradeTemporary")
        if old.attribute != TEMPORARY:
            raise EhcError(CARD_NOT_TEMPORARY)
        if old.status in (CANCELLED, SUPERSEDED):
            raise EhcError(CARD_STATE_CONFLICT, "temporary card is cancelled or already upgraded")
        person = node.load_person(cur, old.main_index)
        facts = citizen_id_facts(number)
        if person.birth_date and person.birth_date != facts["birth_date"]:
            raise EhcError(
                DOCUMENT_INVALID,
                "birth date in the ID number differs from the card holder's",
                field="document_number",
            )
        blind = node.doc_blind(doc_type, number)
        row = cur.one(
            "SELECT main_index FROM media WHERE medium = ? AND key_blind = ?", (MEDIUM_DOCUMENT, blind)
        )
        if row is not None and row[0] != old.main_index:
            raise EhcError(IDENTITY_CONFLICT, field="document_number")
        if row is None:
            cur.run(
                "INSERT INTO media (medium, key_blind, main_index, identifier_enc, created_at) VALUES (?, ?, ?, ?, ?)",
                (MEDIUM_DOCUMENT, blind, old.main_index, node.hsm.seal(number.encode()), now),
            )
        new_ehcid = node.hsm.derive_ehcid(old.main_index, doc_type, number)
        previous = [*old.previous, old.ehcid]
        cur.run(
            "INSERT INTO cards (ehcid, main_index, status, attribute, doc_type, application_mode, issued_at, area_code, "
            "org_code, previous, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (ehcid) DO NOTHING",
            (new_ehcid, old.main_index, old.status, FORMAL, doc_type, old.application_mode, now, person.area_code,
             old.org_code, ",".join(previous), now),  # the formal card stays with the issuing organisation
        )  # fmt: skip
        cur.run(
            "UPDATE cards SET status = ?, superseded_by = ?, status_reason = ?, updated_at = ? WHERE ehcid = ?",
            (SUPERSEDED, new_ehcid, "upgraded to citizen ID", now, old.ehcid),
        )
        cur.run(
            "UPDATE persons SET doc_type = ?, doc_enc = ?, updated_at = ? WHERE main_index = ?",
            (doc_type, node.hsm.seal(number.encode()), now, old.main_index),
        )
        node.audit(
            cur,
            caller,
            "upgrade",
            old.main_index,
            old_ehcid=old.ehcid,
            new_ehcid=new_ehcid,
            doc=mask_id(number),
        )
        node.invalidate_person(cur, [old.main_index])
        card = node.load_card(cur, new_ehcid)
        person = node.load_person(cur, old.main_index)
    return pb.RegisterResponse(
        person=person.to_proto(),
        card=card.to_proto(),
        qr_text=qrtext.make_static(new_ehcid),
        card_created=True,
    )


# ------------------------------------------------------------------ QR codes
def _usable(card: CardRecord) -> None:
    if card.status == SUSPENDED:
        raise EhcError(CARD_SUSPENDED)
    if card.status == CANCELLED:
        raise EhcError(CARD_CANCELLED)
    if card.status == SUPERSEDED:
        raise EhcError(CARD_SUPERSEDED, superseded_by=card.superseded_by)


def get_qr_code(node: Node, caller: Caller, req: pb.GetQrCodeRequest) -> pb.GetQrCodeResponse:
    check_context(caller, req.context)
    v.ehcid(req.ehcid)
    cfg = node.config
    if req.code_type not in (0, 1):
        raise EhcError(FIELD_BAD_FORMAT, "code_type must be 0 (dynamic) or 1 (static)", field="code_type")
    lifetime = req.lifetime_seconds or cfg.dynamic_lifetime_s
    if not 0 < lifetime <= cfg.dynamic_max_lifetime_s:
        raise EhcError(
            FIELD_BAD_FORMAT,
            f"lifetime_seconds must be 1..{cfg.dynamic_max_lifetime_s}",
            field="lifetime_seconds",
        )
    uses = req.max_verifications or cfg.dynamic_max_verifications
    if not 0 < uses <= cfg.dynamic_max_verifications_limit:
        raise EhcError(
            FIELD_BAD_FORMAT,
            f"max_verifications must be 1..{cfg.dynamic_max_verifications_limit}",
            field="max_verifications",
        )
    with node.db.transaction() as cur:
        card = node.load_card(cur, req.ehcid)
        if req.code_type == 0:  # a static code is the EHCID itself; a dynamic one is minted
            require_card_owner(caller, card, "GetQrCode (dynamic)")
        _usable(card)
        if req.code_type == 1:
            return pb.GetQrCodeResponse(
                qr_text=qrtext.make_static(card.ehcid), code_type=c.CODE_TYPE_STATIC, ehcid=card.ehcid
            )
        now = node.now()
        now_text = fmt_time(now)
        if cfg.refuse_reissue_while_valid:
            row = cur.one(
                "SELECT valid_until FROM dynamic_codes WHERE ehcid = ? AND valid_until >= ? AND remaining > 0",
                (card.ehcid, now_text),
            )
            if row is not None:
                raise EhcError(QR_REISSUE_REFUSED, valid_until=row[0])
        until = now + timedelta(seconds=lifetime)
        until_text = fmt_time(until)
        cur.run(
            "INSERT INTO dynamic_codes (ehcid, valid_until, remaining, max_verifications, issued_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (ehcid, valid_until) DO UPDATE SET remaining = excluded.remaining, "
            "max_verifications = excluded.max_verifications, issued_at = excluded.issued_at",
            (card.ehcid, until_text, uses, uses, now_text),
        )
        # keep the table small: codes expired for a day are of no use
        cur.run(
            "DELETE FROM dynamic_codes WHERE ehcid = ? AND valid_until < ?",
            (card.ehcid, fmt_time(now - timedelta(days=1))),
        )
    node.metrics.inc("ehc_node_qr_issued_total", code_type="dynamic")
    return pb.GetQrCodeResponse(
        qr_text=node.hsm.make_dynamic(card.ehcid, until),
        code_type=c.CODE_TYPE_DYNAMIC,
        valid_until=until_text,
        surplus_num=uses,
        ehcid=card.ehcid,
    )


# ------------------------------------------------------------------ life cycle
_TRANSITIONS = {
    "suspend": ((NORMAL,), SUSPENDED),
    "resume": ((SUSPENDED,), NORMAL),
    "cancel": ((NORMAL, SUSPENDED), CANCELLED),
}


def _transition(node: Node, caller: Caller, req: pb.CardActionRequest, action: str) -> pb.CardResponse:
    check_context(caller, req.context)
    v.ehcid(req.ehcid)
    reason = v.text(req.reason, "reason", required=False, max_len=200)
    allowed, target = _TRANSITIONS[action]
    with node.db.transaction() as cur:
        require_card_owner(caller, node.load_card(cur, req.ehcid), action.capitalize())  # raises CARD_UNKNOWN
        marks = ",".join("?" * len(allowed))
        n = cur.run(
            f"UPDATE cards SET status = ?, status_reason = ?, updated_at = ? WHERE ehcid = ? AND status IN ({marks})",
            (target, reason, node.now_text(), req.ehcid, *allowed),
        )
        card = node.load_card(cur, req.ehcid)
        if n == 0:
            raise EhcError(
                CARD_STATE_CONFLICT, f"cannot {action} a card in status {card.status}", status=card.status
            )
        node.audit(cur, caller, action, card.main_index, ehcid=card.ehcid, reason=reason)
        person = node.load_person(cur, card.main_index)
        node.invalidate(cur, [card.ehcid])
    node.metrics.inc("ehc_node_card_transitions_total", action=action)
    return pb.CardResponse(card=card.to_proto(), person=person.to_proto())


def suspend(node: Node, caller: Caller, req: pb.CardActionRequest) -> pb.CardResponse:
    return _transition(node, caller, req, "suspend")


def resume(node: Node, caller: Caller, req: pb.CardActionRequest) -> pb.CardResponse:
    return _transition(node, caller, req, "resume")


def cancel(node: Node, caller: Caller, req: pb.CardActionRequest) -> pb.CardResponse:
    return _transition(node, caller, req, "cancel")


def modify(node: Node, caller: Caller, req: pb.ModifyRequest) -> pb.CardResponse:
    check_context(caller, req.context)
    v.ehcid(req.ehcid)
    v.text(req.name, "name", required=False, max_len=50)
    v.phone(req.phone)
    v.text(req.address, "address", required=False, max_len=200)
    v.area(req.area_code, required=False)
    groups = priority_groups(req.priority_groups) if req.set_priority_groups else None
    with node.db.transaction() as cur:
        card = node.load_card(cur, req.ehcid)
        require_card_owner(caller, card, "Modify")
        if card.status in (CANCELLED, SUPERSEDED):
            raise EhcError(CARD_STATE_CONFLICT, "card is cancelled or superseded")
        p = node.load_person(cur, card.main_index)
        require_person_owner(caller, p, "Modify", "ehcid")
        changed = [f for f in ("name", "phone", "address", "area_code") if getattr(req, f)]
        p.name, p.phone, p.address = req.name or p.name, req.phone or p.phone, req.address or p.address
        p.area_code = req.area_code or p.area_code
        if req.set_poverty_relief:
            p.poverty_relief = req.poverty_relief
            changed.append("poverty_relief")
        if groups is not None:  # the list replaces the person's groups; "poverty" is the flag
            p.poverty_relief = "poverty" in groups or (req.set_poverty_relief and req.poverty_relief)
            p.priority_groups = _stored_groups(groups)
            changed.append("priority_groups")
        cur.run(
            "UPDATE persons SET pii_enc = ?, area_code = ?, poverty_relief = ?, priority_groups = ?, updated_at = ? "
            "WHERE main_index = ?",
            (
                node.seal_pii(p.name, p.phone, p.address),
                p.area_code,
                int(p.poverty_relief),
                ",".join(p.priority_groups),
                node.now_text(),
                p.main_index,
            ),
        )
        node.audit(cur, caller, "modify", p.main_index, fields=changed)
        node.invalidate_person(cur, [p.main_index])
    return pb.CardResponse(card=card.to_proto(), person=p.to_proto())


# ------------------------------------------------------------------ family
def _family(node: Node, cur, guardian: str) -> pb.FamilyResponse:  # noqa: ANN001
    members = []
    for member, relation in cur.all(
        "SELECT member, relation FROM family WHERE guardian = ? ORDER BY created_at, member", (guardian,)
    ):
        person = node.load_person(cur, member)
        cards = [k for k in node.person_cards(cur, member) if k.status != SUPERSEDED]
        members.append(
            c.FamilyMember(
                main_index=member, name=person.name, relation=relation, ehcid=cards[-1].ehcid if cards else ""
            )
        )
    return pb.FamilyResponse(main_index=guardian, members=members)


def _bind(node: Node, caller: Caller, req: pb.BindFamilyRequest, bind: bool) -> pb.FamilyResponse:
    check_context(caller, req.context)
    v.ehcid(req.guardian_ehcid, "guardian_ehcid")
    v.ehcid(req.member_ehcid, "member_ehcid")
    relation = v.token(req.relation, "relation", required=False, max_len=20) or "guardian"
    with node.db.transaction() as cur:
        g = node.resolve_merges(
            cur, node.load_person(cur, node.load_card(cur, req.guardian_ehcid).main_index)
        )[0]
        m = node.resolve_merges(cur, node.load_person(cur, node.load_card(cur, req.member_ehcid).main_index))[
            0
        ]
        action = "BindFamily" if bind else "UnbindFamily"
        require_person_owner(caller, g, action, "guardian_ehcid")
        require_person_owner(caller, m, action, "member_ehcid")
        if g.main_index == m.main_index:
            raise EhcError(FAMILY_INVALID, "a person cannot be bound to themself")
        if bind:
            cur.run(
                "INSERT INTO family (guardian, member, relation, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (guardian, member) DO UPDATE SET relation = excluded.relation",
                (g.main_index, m.main_index, relation, node.now_text()),
            )
        else:
            cur.run("DELETE FROM family WHERE guardian = ? AND member = ?", (g.main_index, m.main_index))
        node.audit(
            cur, caller, "bind" if bind else "unbind", g.main_index, member=m.main_index, relation=relation
        )
        return _family(node, cur, g.main_index)


def bind_family(node: Node, caller: Caller, req: pb.BindFamilyRequest) -> pb.FamilyResponse:
    return _bind(node, caller, req, True)


def unbind_family(node: Node, caller: Caller, req: pb.BindFamilyRequest) -> pb.FamilyResponse:
    return _bind(node, caller, req, False)


# ------------------------------------------------------------------ queries
def get_card(node: Node, caller: Caller, req: pb.GetCardRequest) -> pb.CardResponse:
    v.ehcid(req.ehcid)
    with node.db.transaction() as cur:
        card = node.load_card(cur, req.ehcid)
        require_card_owner(caller, card, "GetCard")
        person = node.resolve_merges(cur, node.load_person(cur, card.main_index))[0]
    _audit_read(node, caller, "read_card", person.main_index, mask_id(card.ehcid))
    return pb.CardResponse(card=card.to_proto(), person=person.to_proto())


def query(node: Node, caller: Caller, req: pb.QueryRequest) -> pb.QueryResponse:
    with node.db.transaction() as cur:
        if req.main_index:
            v.main_index(req.main_index)
            mi = req.main_index
            masked = mask_id(mi)
        else:
            number = v.document(req.document_type or "01", req.document_number)
            row = cur.one(
                "SELECT main_index FROM media WHERE medium = ? AND key_blind = ?",
                (MEDIUM_DOCUMENT, node.doc_blind(req.document_type or "01", number)),
            )
            if row is None or row[0] is None:
                raise EhcError(PERSON_UNKNOWN)
            mi, masked = row[0], mask_id(number)
        person = node.resolve_merges(cur, node.load_person(cur, mi))[0]
        require_person_owner(caller, person, "Query", "main_index" if req.main_index else "document_number")
        cards = node.person_cards(cur, person.main_index)
        for (merged,) in cur.all(
            "SELECT main_index FROM persons WHERE merged_into = ?", (person.main_index,)
        ):
            cards += node.person_cards(cur, merged)
        family = _family(node, cur, person.main_index).members
    _audit_read(node, caller, "read_query", person.main_index, masked)
    return pb.QueryResponse(person=person.to_proto(), cards=[k.to_proto() for k in cards], family=family)
