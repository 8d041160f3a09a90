"""Node configuration: every value the public specification leaves open, in one place.

Each default is documented in docs/assumptions.md ("reference_node"); every one can be changed
with a ``ehc node serve`` flag or by passing a ``NodeConfig`` to ``reference_node.server``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")

# Priority groups of issuance (seed 004 §三(一), DIGEST §3): person attributes set at registration,
# each with a coverage KPI of its own (profile kpi.coverage population = NAME). "poverty" is the
# person's poverty_relief flag (建档立卡); a person registered on a birth certificate is a newborn.
PRIORITY_GROUPS: dict[str, str] = {
    "poverty": "贫困人口 (扶贫部门建档立卡)",
    "employee": "机关、单位（企业）职工",
    "family-planning": "计划生育家庭奖励扶助、特别扶助对象",
    "birth-registration": "办理生育登记的对象及家庭成员",
    "newborn": "新生儿 (出生医学证明)",
}
TIME_FORMAT = "%Y%m%d%H%M%S"


@dataclass(frozen=True)
class NodeConfig:
    node_id: str = "370800"  # this node's id (GB/T 2260 code of its city by convention)
    # profile area.county / area.district: the pilot county or district of the city's plan (seed 003
    # 祁东县, seed 002 淄川区): a registration without area_code is a resident of it, and the
    # supervision KPIs report it on its own with its own targets; "" = none
    pilot_area: str = ""
    # dynamic QR codes
    dynamic_lifetime_s: int = 300  # default lifetime of a dynamic code
    dynamic_max_lifetime_s: int = 3600  # longest lifetime a caller may ask for
    dynamic_max_verifications: int = 5  # default surplusNum of a new dynamic code
    dynamic_max_verifications_limit: int = 100  # largest surplusNum a caller may ask for
    refuse_reissue_while_valid: bool = False  # profile: refuse a new dynamic code while one is valid
    dynamic_counter_durable: bool = False  # True: fsync every surplusNum decrement (slower)
    clock_skew_s: int = 2  # tolerance between node processes' clocks when checking expiry
    newborn_document_type: str = "08"  # 出生医学证明 (one province uses 99)
    # hospital self-issued cards (就诊卡, medium HOSPITAL_CARD / card type 80), profile
    # hospital_cards.*: ISO dates, "" = no such date (seed 001: Jining 2021-06-01 / 2021-10-01)
    hospital_card_stop_issue: str = ""  # from this day no hospital card is linked (issued)
    hospital_card_stop_use: str = ""  # from this day a hospital card presented or reported is refused
    today: str = ""  # ISO date the policy dates are judged on; "" = the node's clock (testing: --today)
    profile: str = ""  # name of the profile the node runs under ("" = none; certificates must name it)
    profile_title: str = ""  # its title, shown on the supervision dashboard
    accepted_media: tuple[str, ...] = ()  # profile accepted_media: media Resolve/Link take; () = all
    empi_key: str = ""  # profile empi.key: "citizen-id" = a formal card needs a citizen ID (01/02)
    supervision: Any = None  # profile kpi.*: a supervision SupervisionProfile; None = the seeds' defaults
    # authentication
    replay_window_s: int = 300  # accepted |node time - x-ehc-timestamp|
    shared_nonces: bool = False  # also record nonces in the database: replays caught across processes
    # REL-F7 after a restart: refuse signatures older than this process's start minus this (the
    # new process has not seen the old one's nonces); 0 per call, see docs/assumptions.md
    replay_start_tolerance_ms: int = 1000
    require_certified_terminals: bool = False  # refuse terminals not (yet) certified (检测备案)
    # verification hot path
    card_cache_size: int = 200_000
    card_cache_ttl_s: float = 300.0  # safety net; changes reach other processes via the change feed
    change_poll_ms: int = 500  # how often a process reads the card change feed (staleness bound)
    verification_log_flush_ms: int = 50  # group commit of the verification log
    # chip cards
    require_issuer_signature: bool = False
    # stores
    sqlite_synchronous: str = "FULL"  # WAL + FULL: acknowledged usage survives power loss
    batch_chunk_size: int = 4000  # RegisterBatch: records per transaction (one WAL fsync each)
    sqlite_lock_wait_ms: int = 2000  # request path: wait this long for a locked SQLite, then UNAVAILABLE
    # request limits (docs/node.md "Limits")
    max_request_bytes: int = 1 << 20  # gRPC: largest message received (unary call or stream element)
    max_http_body_bytes: int = 1 << 20  # REST gateway: largest request body
    # calls per second per terminal, sustained; 0 = no limit. Off for a node embedded in a process
    # (test harnesses, conformance runs, benchmarks drive one terminal flat out); `ehc node serve`,
    # a deployed node, defaults to 100/s (docs/node.md "Limits")
    rate_limit_per_s: float = 0.0
    rate_limit_burst: int = 200  # calls a terminal may make at once above the sustained rate
    # gRPC streams (docs/node.md "Limits"): a stream holds a worker thread for its whole life, so
    # streams get their own share of the workers and each terminal a few of them (REL-F16)
    max_streams_per_terminal: int = 4  # open streams one terminal may hold; more: RESOURCE_EXHAUSTED
    max_streams: int = 0  # open streams in all; 0 = half the gRPC workers (the rest stay for unary calls)
    stream_idle_timeout_s: float = 60.0  # a stream with no message either way for this long is ended
    stream_max_lifetime_s: float = 6 * 3600.0  # any stream is ended after this long (a batch import fits)
    # REST port (REL-F17): connections are bounded below the file-descriptor limit so gRPC keeps a
    # reserve; a connection must send its request headers, and then its body, within a bound
    http_max_connections: int = 512  # more are closed at accept (also capped by RLIMIT_NOFILE - reserve)
    http_header_timeout_s: float = 10.0  # from accept (or the end of the last answer) to full headers
    http_body_timeout_s: float = 30.0  # from the headers to the end of the body
    # usage reports (REL-F21): the time of use must be plausible and an e-card one this node issued
    usage_max_age_days: int = 1096  # a report of a use older than this (3 years) is refused
    usage_max_ahead_s: int = 86400  # a use dated more than this after the node's clock is refused
    usage_requires_known_card: bool = True  # an EHCID this node never issued is refused
    # front doors in platform envelopes served on the HTTP port (reference_node/platforms, docs/platforms.md)
    apis: tuple[str, ...] = ()
    # TEST-ONLY simulated settlement (诊间支付: orders, payments, refunds, reconciliation) for certifying
    # a HIS's payment step (reference_node/settlement, docs/payment.md); never on a real deployment
    test_settlement: bool = False


def now_cst() -> datetime:
    """The node's clock: an aware datetime in China Standard Time, whole seconds."""
    return datetime.now(CHINA_STANDARD_TIME).replace(microsecond=0)


def fmt_time(when: datetime) -> str:
    return when.astimezone(CHINA_STANDARD_TIME).strftime(TIME_FORMAT)


def parse_time(text: str) -> datetime:
    """``YYYYMMDDHHMMSS`` (UTC+8) → aware datetime; ValueError when malformed."""
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=CHINA_STANDARD_TIME)
