"""Helpers of the node suite: synthetic persons and short-hand calls over the adapter.

Every identifier a test creates (ID numbers, request ids, phone and card numbers, tokens) is FRESH
for the run: derived from the run's seed and its nonce (``report.json`` ``hypothesis.nonce``), so
certifying the same node twice, or a test instance that already holds data, never meets an
identifier of an earlier run, and ``--replay DIR`` creates the same identifiers again.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import replace
from typing import Any

from ehc.gm import sm3
from ehc.spec.identifiers import make_citizen_id
from reference_node.proto.ehc.node.v1 import common_pb2 as C
from reference_node.proto.ehc.node.v1 import issuance_pb2 as I
from reference_node.proto.ehc.node.v1 import registry_pb2 as R
from reference_node.proto.ehc.node.v1 import verification_pb2 as V

CST = dt.timezone(dt.timedelta(hours=8))
CLIENT_ERRORS = {
    "INVALID_ARGUMENT",
    "NOT_FOUND",
    "FAILED_PRECONDITION",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "UNAUTHENTICATED",
    "RESOURCE_EXHAUSTED",
    "OUT_OF_RANGE",
}

# ID numbers: birth dates 1950-01-01 + 0..24999 days, odd (male: the requests say sex "1") sequence
# numbers. A run takes consecutive slots from a start drawn from its seed and nonce, so the
# numbers of one run are distinct and two runs overlap only if their starts fall within a few
# hundred slots of each other in 12.5 million (about 1 in 10^4 per pair of runs).
_ID_DAYS, _ID_SEQS = 25000, 500
_NEWBORN_DAYS = 300  # newborns: born 1..300 days before the run started


class _Fresh:
    """Counter and starting points of one run's identifiers."""

    def __init__(self, key: str, today: dt.date) -> None:
        self.key = key
        self.today = today
        self.n = 0
        digest = sm3(f"ehc-fresh:{key}".encode())
        self.start = int.from_bytes(digest[:8], "big")
        self.tag = digest[8:13].hex()  # 10 hex characters that name the run in request ids

    def next(self) -> int:
        self.n += 1
        return self.start + self.n


_STATE: dict[str, Any] = {}


def fresh() -> _Fresh:
    """The current run's generator (a random one outside a conformance run)."""
    try:
        from conformance_tests.plugin import current_run

        run = current_run()
    except ImportError:  # pragma: no cover - the suites always run with the plugin
        run = None
    if run is not None:
        key = f"{run.seed}:{run.nonce}"
        today = run.started.astimezone(CST).date()
    else:
        key = _STATE.setdefault("local_key", secrets.token_hex(8))
        today = dt.datetime.now(CST).date()
    state = _STATE.get("fresh")
    if state is None or state.key != key:
        state = _STATE["fresh"] = _Fresh(key, today)
    return state


def new_id_number(area: str = "370811") -> str:
    """A fresh valid citizen ID number (synthetic, unique within the run, new on every run)."""
    slot = fresh().next() % (_ID_DAYS * _ID_SEQS)
    birth = dt.date(1950, 1, 1) + dt.timedelta(days=slot // _ID_SEQS)
    return make_citizen_id(area, birth, 2 * (slot % _ID_SEQS) + 1)


def new_newborn(area: str = "370811") -> tuple[str, str]:
    """(birth date ISO, fresh ID number) of a child born in the year before the run."""
    f = fresh()
    slot = f.next() % (_NEWBORN_DAYS * 999)
    birth = f.today - dt.timedelta(days=1 + slot // 999)
    return birth.isoformat(), make_citizen_id(area, birth, slot % 999 + 1)


def new_request_id(prefix: str = "conf") -> str:
    """A request id no earlier run used (prefix, the run's tag, a counter)."""
    f = fresh()
    return f"{prefix}-{f.tag}-{f.next() % 10**9}"


def new_digits(n: int) -> str:
    """``n`` fresh digits (card numbers, tokens): consecutive within the run, new on every run."""
    return str(fresh().next() % 10**n).zfill(n)


def new_phone() -> str:
    return "138" + new_digits(8)


def person_request(dut: Any, id_number: str | None = None, **over: Any) -> I.RegisterRequest:
    number = id_number or new_id_number()
    fields = dict(
        application_mode="3",
        name="测试居民",
        document_type="01",
        document_number=number,
        sex="1",
        nation="01",
        birth_date=f"{number[6:10]}-{number[10:12]}-{number[12:14]}",
        phone=new_phone(),
        address="山东省济宁市测试路1号",
        area_code=number[:6],
        context=dut.context(),
    )
    fields.update(over)
    return I.RegisterRequest(**fields)


def register(dut: Any, **over: Any) -> Any:
    response, error = dut.call("issuance", "Register", person_request(dut, **over))
    assert error is None, f"Register refused: {error}"
    return response


def qr(dut: Any, ehcid: str, dynamic: bool, **over: Any) -> tuple[Any, dict | None]:
    code_type = C.CODE_TYPE_DYNAMIC if dynamic else C.CODE_TYPE_STATIC
    return dut.call(
        "issuance",
        "GetQrCode",
        I.GetQrCodeRequest(ehcid=ehcid, code_type=code_type, context=dut.context(), **over),
    )


def verify(dut: Any, text: str, context: Any = None) -> tuple[Any, dict | None]:
    return dut.call(
        "verification", "VerifyQr", V.VerifyQrRequest(qr_text=text, context=context or dut.context())
    )


def card_action(dut: Any, action: str, ehcid: str) -> tuple[Any, dict | None]:
    return dut.call(
        "issuance",
        action,
        I.CardActionRequest(ehcid=ehcid, reason="conformance test", context=dut.context("admin")),
        "admin",
    )


def assert_client_error(error: dict | None, what: str) -> dict:
    """Refused, with a stable code and a client-side gRPC status (never INTERNAL/UNKNOWN); the
    error, for further checks."""
    assert error is not None, f"{what}: accepted"
    assert error.get("grpc") in CLIENT_ERRORS, f"{what}: refused as {error.get('grpc')} ({error.get('code')})"
    assert error.get("code"), f"{what}: no error code"
    return error


def reference_node(dut: Any) -> Any:
    """The kit's reference node behind the adapter (directly, or behind a mutant's proxy), None
    for a remote node (its rules are on as it runs, judged on its own clock)."""
    return getattr(getattr(dut, "_owner", None), "node", None)


def apply_hospital_card_dates(dut: Any, profile: Any) -> None:
    """The profile's hospital-card stop dates on the reference node, as deployed under the profile
    (a remote node has its own)."""
    from conformance_tests.adapters.node import HOSPITAL_CARD_DATES, with_deployed_rules

    node = reference_node(dut)
    if node is None:
        return
    node.config = with_deployed_rules(node.config, profile, HOSPITAL_CARD_DATES)


def refuses_hospital_cards(profile: Any, day: dt.date) -> bool:
    """Whether the profile refuses a hospital card (card type 80) used on ``day`` (seed 001)."""
    stop = profile.param("hospital_cards.stop_use")
    return bool(stop) and day >= dt.date.fromisoformat(str(stop))


def operator_terminal(
    dut: Any,
    terminal_id: str,
    org: str,
    terminal_type: str,
    description: str,
    identity: str = "",
    **identity_over: Any,
) -> Any:
    """Register ``terminal_id`` (role terminal of organisation ``org``) as the operator, marked
    CERTIFIED in the registry (only a registered report counts for 检测备案); with ``identity``,
    issue it a credential and add it to ``dut`` under that name: the client file's terminal
    identity with the new id and secret and ``identity_over`` (org_code, department …). Returns
    the registered ``R.Terminal``."""
    t = R.Terminal(
        terminal_id=terminal_id, org_code=org, terminal_type=terminal_type,
        certification_status=R.CERTIFICATION_STATUS_CERTIFIED, role=R.TERMINAL_ROLE_TERMINAL,
        description=description,
    )  # fmt: skip
    assert dut.call("registry", "UpsertTerminal", t, "admin")[1] is None, (
        "the operator cannot register a terminal"
    )
    if identity:
        cred, error = dut.call(
            "registry", "IssueCredential", R.IssueCredentialRequest(terminal_id=terminal_id), "admin"
        )
        assert error is None, f"the operator cannot issue a credential: {error}"
        secret = bytes.fromhex(cred.secret_hex)
        base = dut.credentials("terminal")
        dut.add_identity(identity, replace(base, terminal_id=terminal_id, secret=secret, **identity_over))
    return t
