"""The node's state: configuration, HSM, store, caches, verification log, metrics, audit.

Services (``reference_node.services``) implement the operations on top of this object; the gRPC
server and the REST gateway both call the services, so they behave identically.
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import cast

from ehc.errors import EhcError
from reference_node.config import NodeConfig, fmt_time, now_cst
from reference_node.errors import CARD_UNKNOWN, PERSON_UNKNOWN
from reference_node.hsm import Hsm
from reference_node.observability import Metrics, log
from reference_node.proto.ehc.node.v1 import common_pb2 as c
from reference_node.store.db import Cursor, Database
from reference_node.store.migrations import migrate

LOG = logging.getLogger("reference_node")

# medium numbers in the media table = ehc.node.v1.Medium values
MEDIUM_DOCUMENT = 10
# card_changes rows that name a terminal whose credential changed, not a card (one feed, one poll)
CREDENTIAL_CHANGE = "credential:"


def identity_type(doc_type: str) -> str:
    """The document type an identity is keyed by: a household register (02) carries the citizen ID
    number, so 01 and 02 with the same number are one person (the EHCID still uses the real type)."""
    return "01" if doc_type == "02" else doc_type


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling, established by authentication."""

    terminal_id: str
    org_code: str
    role: int  # registry_pb2.TerminalRole
    area_code: str = ""

    @property
    def is_admin(self) -> bool:
        return self.role == 2


@dataclass(slots=True)
class PersonRecord:
    main_index: str
    doc_type: str
    doc_number: str
    name: str
    phone: str
    address: str
    sex: str
    nation: str
    birth_date: str
    area_code: str
    poverty_relief: bool
    family_id: str
    merged_into: str | None
    org_code: str = ""  # owner organisation: the one whose terminal registered the person
    # priority groups (config.PRIORITY_GROUPS) other than "poverty", which is poverty_relief
    priority_groups: tuple[str, ...] = ()

    def to_proto(self) -> c.Person:
        return c.Person(
            main_index=self.main_index,
            name=self.name,
            document_type=self.doc_type,
            document_number=self.doc_number,
            sex=self.sex,
            nation=self.nation,
            birth_date=self.birth_date,
            address=self.address,
            phone=self.phone,
            area_code=self.area_code,
            poverty_relief=self.poverty_relief,
            family_id=self.family_id,
            merged_into=self.merged_into or "",
            priority_groups=(["poverty"] if self.poverty_relief else []) + list(self.priority_groups),
        )


@dataclass(slots=True)
class CardRecord:
    ehcid: str
    main_index: str
    status: int  # a c.CardStatus number
    attribute: int  # a c.CardAttribute number
    doc_type: str
    application_mode: str
    issued_at: str
    area_code: str
    org_code: str
    status_reason: str = ""
    previous: list[str] = field(default_factory=list)
    superseded_by: str = ""

    def to_proto(self) -> c.Card:
        return c.Card(
            ehcid=self.ehcid,
            main_index=self.main_index,
            status=cast(c.CardStatus, self.status),  # the stored number is the enum value
            attribute=cast(c.CardAttribute, self.attribute),
            document_type=self.doc_type,
            application_mode=self.application_mode,
            issued_at=self.issued_at,
            area_code=self.area_code,
            org_code=self.org_code,
            status_reason=self.status_reason,
            previous_ehcids=self.previous,
            superseded_by=self.superseded_by,
        )


CARD_COLUMNS = (
    "ehcid, main_index, status, attribute, doc_type, application_mode, issued_at, area_code, org_code, "
    "status_reason, previous, superseded_by"
)
PERSON_COLUMNS = (
    "main_index, doc_type, doc_enc, pii_enc, sex, nation, birth_date, area_code, poverty_relief, family_id, "
    "merged_into, org_code, priority_groups"
)


def card_from_row(row: tuple) -> CardRecord:
    # row[:10] is exactly the ten columns before ``previous`` (the SELECT of every caller); mypy sees
    # a tuple of unknown length that could also fill ``previous``
    return CardRecord(  # type: ignore[misc]
        *row[:10], previous=[p for p in (row[10] or "").split(",") if p], superseded_by=row[11] or ""
    )


@dataclass(slots=True)
class CardView:
    """What verification needs, cached by EHCID: the card and its (merge-resolved) person, and
    the protobuf messages built from them once (copied into each response)."""

    card: CardRecord
    person: PersonRecord
    followed_merge: bool
    fetched: float
    person_pb: c.Person | None = None
    card_pb: c.Card | None = None
    extra: dict[str, object] = field(default_factory=dict)  # per-service derived data (templates)

    def __post_init__(self) -> None:
        self.person_pb = self.person.to_proto()
        self.card_pb = self.card.to_proto()


class CardCache:
    """LRU of EHCID → CardView; entries expire after ``ttl`` (staleness bound across processes) and
    are dropped at once on every local status change."""

    def __init__(self, size: int, ttl: float) -> None:
        self._d: OrderedDict[str, CardView] = OrderedDict()
        self._size = size
        self._ttl = ttl
        self._lock = threading.Lock()

    def get(self, ehcid: str) -> CardView | None:
        with self._lock:
            v = self._d.get(ehcid)
            if v is None:
                return None
            if self._ttl >= 0 and time.monotonic() - v.fetched > self._ttl:
                del self._d[ehcid]
                return None
            self._d.move_to_end(ehcid)
            return v

    def put(self, view: CardView) -> None:
        if self._size <= 0:
            return
        with self._lock:
            self._d[view.card.ehcid] = view
            self._d.move_to_end(view.card.ehcid)
            while len(self._d) > self._size:
                self._d.popitem(last=False)

    def invalidate(self, ehcids: list[str] | tuple[str, ...]) -> None:
        with self._lock:
            for e in ehcids:
                self._d.pop(e, None)

    def clear(self) -> None:
        with self._lock:
            self._d.clear()


class VerificationLog:
    """Group-commits verification records (one transaction per flush interval).

    A verification is answered before its log row is committed; a crash can lose at most the last
    flush interval of *verification log* rows (never usage reports, which commit before the ack).
    Producers only append to a deque (no lock, no wake-up per record: waking a consumer thread on
    every verification cost more than the insert itself); the writer drains it every interval.
    """

    INSERT = (
        "INSERT INTO verifications (id, node_time, terminal_time, terminal_id, org_code, use_city, channel, "
        "medical_step, scene, department, medium, code_type, ehcid, main_index, ok, error_code) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )

    def __init__(
        self,
        db: Database,
        flush_ms: int,
        max_pending: int = 200_000,
        *,
        insert: str | None = None,
        name: str = "verification-log",
    ) -> None:
        self._db = db
        self._insert = insert or self.INSERT
        self._name = name
        self._pending: deque[tuple] = deque()
        self._flush = max(flush_ms, 1) / 1000.0
        self._max = max_pending
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def add(self, row: tuple) -> None:
        self._pending.append(row)
        if len(self._pending) > self._max:  # back-pressure: the writer fell behind, write here
            self._drain()

    def _drain(self) -> None:
        batch: list[tuple] = []
        pending = self._pending
        while pending and len(batch) < 20_000:
            try:
                batch.append(pending.popleft())
            except IndexError:
                break
        if batch:
            self._write(batch)

    def _run(self) -> None:
        self._db.background_thread()  # a locked store delays the log; it must not drop rows
        while not self._stopped.wait(self._flush):
            while self._pending:
                self._drain()
        while self._pending:
            self._drain()

    def _write(self, rows: list[tuple]) -> None:
        try:
            with self._db.transaction(relaxed=True) as cur:
                cur.many(self._insert, rows)
        except Exception as exc:  # noqa: BLE001 - logged; the service keeps running
            log(LOG, logging.ERROR, f"{self._name} write failed", error=type(exc).__name__, rows=len(rows))

    def flush(self) -> None:
        """Write what is pending now, in the caller's thread (tests, shutdown paths)."""
        while self._pending:
            self._drain()

    def close(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=10)
        while self._pending:
            self._drain()


class Node:
    """Everything a service needs. Create with ``Node.open``; ``close`` flushes and disconnects."""

    def __init__(self, config: NodeConfig, hsm: Hsm, db: Database, metrics: Metrics | None = None) -> None:
        self.config = config
        self.hsm = hsm
        self.db = db
        self.metrics = metrics or Metrics()
        self.cards = CardCache(config.card_cache_size, config.card_cache_ttl_s)
        self.verification_log = VerificationLog(db, config.verification_log_flush_ms)
        # read-access audit (Resolve: who resolved whom), group-committed like the verification log
        self.access_audit = VerificationLog(
            db, config.verification_log_flush_ms, insert=AUDIT_INSERT, name="access-audit"
        )
        self.started = time.time()
        # called with a terminal id whose credential changed (the Authenticator drops its cache entry)
        self.credential_listeners: list[Callable[[str], None]] = []
        self._changes_seen = self._last_change()
        self._stop = threading.Event()
        self._poller = threading.Thread(target=self._poll_changes, name="card-changes", daemon=True)
        self._poller.start()
        self._clock_cache: tuple = (None, None, "")
        self._id_prefix = uuid.uuid4().hex[:20]
        self._ids = itertools.count(1)

    @classmethod
    def open(cls, config: NodeConfig, hsm: Hsm, db: Database) -> Node:
        with db.wait_budget(db.background_wait_ms):  # several processes may start together
            migrate(db, hsm)
        return cls(config, hsm, db)

    def close(self) -> None:
        self._stop.set()
        self._poller.join(timeout=5)
        self.verification_log.close()
        self.access_audit.close()
        self.db.close()

    # ---------------------------------------------------------------- change feed
    def _last_change(self) -> int:
        row = self.db.one("SELECT MAX(id) FROM card_changes")
        return int(row[0]) if row and row[0] is not None else 0

    def _poll_changes(self) -> None:
        """Drop cached cards changed by any node process sharing the database (bounded staleness
        without a database round trip per verification)."""
        interval = max(self.config.change_poll_ms, 10) / 1000
        while not self._stop.wait(interval):
            try:
                rows = self.db.query(
                    "SELECT id, ehcid FROM card_changes WHERE id > ? ORDER BY id LIMIT 10000",
                    (self._changes_seen,),
                )
            except Exception as exc:  # noqa: BLE001 - the feed must outlive a store outage or fd exhaustion
                if not isinstance(exc, EhcError):
                    log(LOG, logging.ERROR, "card change feed read failed", error=type(exc).__name__)
                continue
            if not rows:
                continue
            self._changes_seen = int(rows[-1][0])
            ehcids = [r[1] for r in rows if not r[1].startswith(CREDENTIAL_CHANGE)]
            for r in rows:
                if r[1].startswith(CREDENTIAL_CHANGE):
                    self._credential_dropped(r[1][len(CREDENTIAL_CHANGE) :])
            if "*" in ehcids:
                self.cards.clear()
            else:
                self.cards.invalidate(ehcids)

    def invalidate(self, cur: Cursor, ehcids: list[str]) -> None:
        """Drop cards from this process's cache now and from the others' via the change feed
        ("*" = everything). Call inside the transaction that made the change."""
        if not ehcids:
            return
        if "*" in ehcids:
            self.cards.clear()
        else:
            self.cards.invalidate(ehcids)
        now = self.now_text()
        cur.many("INSERT INTO card_changes (ehcid, changed_at) VALUES (?, ?)", [(e, now) for e in ehcids])

    def credential_changed(self, cur: Cursor, terminal_id: str) -> None:
        """A terminal's credential or certification changed (revoked, rotated): drop it from this
        process's authenticator cache now and from the other processes' within one change-feed
        poll (``change_poll_ms``). Call inside the transaction that made the change."""
        self._credential_dropped(terminal_id)
        cur.run(
            "INSERT INTO card_changes (ehcid, changed_at) VALUES (?, ?)",
            (CREDENTIAL_CHANGE + terminal_id, self.now_text()),
        )

    def _credential_dropped(self, terminal_id: str) -> None:
        for listener in list(self.credential_listeners):
            listener(terminal_id)

    # ---------------------------------------------------------------- helpers
    def now(self):  # noqa: ANN201 - datetime
        return self._clock()[0]

    def now_text(self) -> str:
        return self._clock()[1]

    def _clock(self) -> tuple:
        """(aware datetime, YYYYMMDDHHMMSS) of the current second, formatted once per second."""
        second = int(time.time())
        cached = self._clock_cache
        if cached[0] != second:
            now = now_cst()
            cached = self._clock_cache = (second, now, fmt_time(now))
        return cached[1], cached[2]

    def new_id(self) -> str:
        """Unique id: a random per-process prefix + a counter (uuid4 costs a getrandom call each)."""
        return f"{self._id_prefix}{next(self._ids):012x}"

    def doc_blind(self, doc_type: str, number: str) -> str:
        return self.hsm.blind_index("doc", f"{identity_type(doc_type)}:{number}")

    def seal_pii(self, name: str, phone: str, address: str) -> bytes:
        return self.hsm.seal(f"[{_json_str(name)}, {_json_str(phone)}, {_json_str(address)}]".encode())

    def person_from_row(self, row: tuple) -> PersonRecord:
        mi, doc_type, doc_enc, pii_enc, sex, nation, birth, area, poverty, family_id, merged, org, groups = (
            row
        )
        name, phone, address = json.loads(self.hsm.open(bytes(pii_enc)).decode())
        return PersonRecord(
            mi, doc_type, self.hsm.open(bytes(doc_enc)).decode(), name, phone, address, sex, nation, birth, area,
            bool(poverty), family_id, merged, org or "", tuple(g for g in (groups or "").split(",") if g),
        )  # fmt: skip

    def load_person(self, cur: Cursor, main_index: str) -> PersonRecord:
        row = cur.one(f"SELECT {PERSON_COLUMNS} FROM persons WHERE main_index = ?", (main_index,))
        if row is None:
            raise EhcError(PERSON_UNKNOWN, main_index=main_index[:8] + "…")
        return self.person_from_row(row)

    def resolve_merges(self, cur: Cursor, person: PersonRecord) -> tuple[PersonRecord, bool]:
        """Follow merged_into to the surviving person (bounded, in case of a cycle)."""
        followed = False
        for _ in range(8):
            if not person.merged_into:
                break
            person = self.load_person(cur, person.merged_into)
            followed = True
        return person, followed

    def load_card(self, cur: Cursor, ehcid: str) -> CardRecord:
        row = cur.one(f"SELECT {CARD_COLUMNS} FROM cards WHERE ehcid = ?", (ehcid,))
        if row is None:
            raise EhcError(CARD_UNKNOWN)
        return card_from_row(row)

    def card_view(self, ehcid: str) -> CardView:
        """The cached card + person for verification; one DB round trip on a miss."""
        view = self.cards.get(ehcid)
        if view is not None:
            return view
        self.metrics.inc("ehc_node_card_cache_total", result="miss")
        with self.db.transaction() as cur:
            card = self.load_card(cur, ehcid)
            person, followed = self.resolve_merges(cur, self.load_person(cur, card.main_index))
        view = CardView(card, person, followed, time.monotonic())
        self.cards.put(view)
        return view

    def invalidate_person(self, cur: Cursor, main_indexes: list[str]) -> None:
        """Drop every cached card of these persons (and of persons merged into them)."""
        ehcids: list[str] = []
        for mi in main_indexes:
            ehcids += [r[0] for r in cur.all("SELECT ehcid FROM cards WHERE main_index = ?", (mi,))]
            for (merged,) in cur.all("SELECT main_index FROM persons WHERE merged_into = ?", (mi,)):
                ehcids += [r[0] for r in cur.all("SELECT ehcid FROM cards WHERE main_index = ?", (merged,))]
        self.invalidate(cur, ehcids)

    def audit(self, cur: Cursor, caller: Caller, action: str, main_index: str, **detail: object) -> None:
        """Audit a change, in the caller's transaction (committed with the change it records)."""
        cur.run(AUDIT_INSERT, _audit_row(self.now_text(), caller, action, main_index, detail))

    def audit_access(self, caller: Caller, action: str, main_index: str, **detail: object) -> None:
        """Audit a read (no change to commit with): appended to the group-committed access log,
        so the answer does not wait for an fsync; a crash can lose the last flush interval."""
        self.access_audit.add(_audit_row(self.now_text(), caller, action, main_index, detail))

    def person_cards(self, cur: Cursor, main_index: str) -> list[CardRecord]:
        rows = cur.all(
            f"SELECT {CARD_COLUMNS} FROM cards WHERE main_index = ? ORDER BY issued_at, ehcid", (main_index,)
        )
        return [card_from_row(r) for r in rows]

    def log_event(self, msg: str, **fields: object) -> None:
        log(LOG, logging.INFO, msg, **fields)


# json.dumps([name, phone, address], ensure_ascii=False), without the encoder machinery per call
_json_str = json.encoder.encode_basestring

AUDIT_INSERT = (
    "INSERT INTO audit (time, action, main_index, detail, terminal_id, org_code) VALUES (?, ?, ?, ?, ?, ?)"
)


def _audit_row(now: str, caller: Caller, action: str, main_index: str, detail: dict) -> tuple:
    text = json.dumps(detail, ensure_ascii=False, sort_keys=True)
    return (now, action, main_index, text, caller.terminal_id, caller.org_code)


__all__ = ["Node", "Caller", "PersonRecord", "CardRecord", "CardView", "replace"]
