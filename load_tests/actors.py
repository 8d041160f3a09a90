"""The actors: Locust users that behave like the real clients of a city node.

* :class:`WindowTerminal` — a staffed registration/payment window (channel 0100): scans QR codes,
  reads chip cards; its HIS reports each use.
* :class:`KioskTerminal` — a self-service kiosk (0200): check-in, payment, report printing.
* :class:`DoctorWorkstation` — a doctor's workstation (0300): reads the card at consultation and
  when prescribing.
* :class:`PatientJourney` — one patient walking the full process (挂号, 排队, 就诊, 收费, 检验, 检查,
  取药, 住院, 体检): verify at each step's terminal, then the HIS reports the use with that scene.
* :class:`OnlineRegistration` — residents signing up in the mini-program (mode 1, channel 0402),
  then fetching their code; :class:`WindowRegistration` — offline sign-up at a window (mode 3);
  :class:`BatchRegistration` — the county's batch pre-generation (mode 4, RegisterBatch stream).
* :class:`HisUsageReporter` — an HIS uploading usage records it collected (no verification).

Each presentation of a code is drawn from a tunable mix (see ``CODE_MIX``): valid dynamic codes
(fetched by the patient's app shortly before), valid static codes, chip cards, and a share of
expired, unknown and malformed codes that the node must refuse. Refusals of those are counted as
``refused`` (correct), not as errors.
"""

from __future__ import annotations

import random
import secrets
import time
from typing import Any, ClassVar, cast

import grpc
from locust import task

from ehc.spec import codes
from load_tests.context import current
from load_tests.grpc_user import CallResult, Expect, GrpcUser
from load_tests.messages import terminal_context
from load_tests.node_client import NodeCalls
from load_tests.population import synthetic_population

__all__ = [
    "CODE_MIX",
    "NodeActor",
    "WindowTerminal",
    "KioskTerminal",
    "DoctorWorkstation",
    "PatientJourney",
    "OnlineRegistration",
    "WindowRegistration",
    "BatchRegistration",
    "HisUsageReporter",
    "Verifier",
    "think",
]

# Share of each presentation at a point of care (documented in docs/load.md; override with
# `--set mix.<kind>=<share>`). Dynamic codes dominate because most patients show the code in the
# mini-program / service account; static codes are printed or saved images (often the elderly);
# chip cards remain for those issued a 居民健康卡. Invalid shares model real scanning failures:
# codes left open in the app past their validity, codes of another city's platform or screenshots
# of cancelled cards (unknown), and damaged or partial scans (malformed).
CODE_MIX: dict[str, float] = {
    "dynamic": 0.60,
    "static": 0.24,
    "card": 0.10,
    "expired": 0.03,
    "unknown": 0.015,
    "malformed": 0.015,
}
INVALID_KINDS = ("expired", "unknown", "malformed")
CARD_ATR = "3B6C00000A8031E0730108002011000090"  # TEST-ONLY plausible ATR of an emulated CPU card
DYNAMIC_LIFETIME_S = 0  # 0 = the node's default lifetime
_REFRESH_MARGIN_S = 5.0  # fetch a new dynamic code when the old one expires within this margin


def think(low: float, high: float) -> Any:
    """Locust wait_time: uniform think time scaled by the run's ``think_scale`` (0 = saturate)."""

    def wait(user: Any) -> float:
        scale = current().think_scale
        return random.uniform(low, high) * scale if scale > 0 else 0.0

    return wait


class NodeActor(GrpcUser):
    """A node client bound to one registered terminal of the seeded registry."""

    abstract = True
    role: ClassVar[str] = "window"

    def __init__(self, environment: Any) -> None:
        run = current()
        terminals = [t for t in run.dataset.get("terminals", []) if t.get("role") == self.role]
        self.terminal: dict[str, Any] = random.choice(terminals or run.dataset["terminals"])
        super().__init__(environment)
        self.ctx = run
        self.node = NodeCalls(self, run.mode)
        self._issuer_node: NodeCalls | None = None

    def extra_interceptors(self) -> list[Any]:
        from load_tests.auth import signing_interceptors

        return signing_interceptors(self.terminal)

    def _issuer_calls(self) -> NodeCalls:
        """The residents' app is the issuing platform's (cards are owned by the organisation that
        registered them): its GetQrCode goes on a second channel signed by the issuer, timed and
        recorded like every other call."""
        if self._issuer_node is None:
            from load_tests.auth import signing_interceptors

            channel = grpc.intercept_channel(
                self._raw_channel, self.interceptor, *signing_interceptors(self.ctx.dataset["issuer"])
            )
            # _Via stands in for this user (the same attributes and call) on the issuer's channel
            self._issuer_node = NodeCalls(cast(GrpcUser, _Via(self, channel)), self.ctx.mode)
        return self._issuer_node

    # --- presenting a medium -----------------------------------------------------------------
    def mix(self) -> dict[str, float]:
        return {k: self.ctx.share(f"mix.{k}", v) for k, v in CODE_MIX.items()}

    def draw_kind(self) -> str:
        mix = self.mix()
        return random.choices(list(mix), weights=list(mix.values()))[0]

    def dynamic_code(self, person: dict[str, Any]) -> str | None:
        """The patient's current dynamic code; the app fetches a new one when used up or expiring."""
        state = person.get("_dynamic")
        now = time.time()
        if state and state["left"] > 0 and state["until"] - _REFRESH_MARGIN_S > now:
            return state["text"]
        issuer = self.ctx.dataset.get("issuer")
        calls = self._issuer_calls() if issuer else self.node
        app = issuer or dict(self.terminal, channel="0402")
        result = calls.get_qr(person["ehcid"], True, terminal_context(app), lifetime_s=DYNAMIC_LIFETIME_S)
        if result.outcome != "ok":
            return None
        if self.ctx.mode == "echo":
            text, left, until = f"{person['ehcid']}:0:{secrets.token_hex(16).upper()}", 1_000_000, now + 3600
        else:
            r = result.response
            text, left = r.qr_text, (r.surplus_num if r.surplus_num > 0 else 1_000_000)
            until = _parse_china_time(r.valid_until) if r.valid_until else now + 60
        person["_dynamic"] = {"text": text, "left": left, "until": until}
        return text

    def invalid_code(self, kind: str) -> str:
        if kind == "expired":
            expired = self.ctx.dataset.get("expired_codes") or []
            if expired:
                return random.choice(expired)
            kind = "unknown"
        if kind == "unknown":  # well-formed, never issued
            return secrets.token_hex(32).upper() + ":1"
        person_code = random.choice(self.ctx.dataset["persons"])["static_qr"]
        damage = random.randrange(4)
        if damage == 0:
            return person_code[: random.randrange(10, 60)]  # partial scan
        if damage == 1:
            return person_code[:-1] + "7"  # type digit neither 0 nor 1
        if damage == 2:
            return person_code[:64] + ":0:" + "ZZ" * 16  # unreadable validity field
        return "".join(random.choice("0123456789ABCDEF") for _ in range(64))  # no type field

    def verify_once(
        self, ctx: Any, person: dict[str, Any], kind: str | None = None
    ) -> tuple[CallResult | None, str]:
        """Present one medium (drawn from the mix unless given); returns the result and the kind."""
        kind = kind or self.draw_kind()
        if kind == "card":
            return self.node.verify_card(person["card_number"], CARD_ATR, ctx, Expect.answer()), kind
        if kind in INVALID_KINDS:
            return self.node.verify_qr(self.invalid_code(kind), ctx, Expect.refused(label=kind)), kind
        text = self.dynamic_code(person) if kind == "dynamic" else person["static_qr"]
        if text is None:
            return None, kind
        result = self.node.verify_qr(text, ctx, Expect.answer())
        state = person.get("_dynamic")
        if kind == "dynamic" and state:
            if self.ctx.mode == "node" and result.outcome == "ok":
                state["left"] = result.response.surplus_num  # remaining after this verification
            else:
                state["left"] -= 1
        return result, kind

    def use(
        self,
        *,
        scene: str,
        step: str,
        visit_type: str = "O",
        kind: str | None = None,
        report: bool = True,
        terminal: dict[str, Any] | None = None,
        person: dict[str, Any] | None = None,
    ) -> None:
        """A person presents a medium at this terminal; on success the HIS reports the use."""
        if person is not None:  # the caller holds the person (a whole journey)
            self._use(person, scene, step, visit_type, kind, report, terminal)
            return
        pool = self.ctx.pool
        person = pool.checkout() if pool else None
        if pool is None or person is None:
            return
        try:
            self._use(person, scene, step, visit_type, kind, report, terminal)
        finally:
            pool.giveback(person)

    def _use(
        self,
        person: dict[str, Any],
        scene: str,
        step: str,
        visit_type: str,
        kind: str | None,
        report: bool,
        terminal: dict[str, Any] | None,
    ) -> None:
        term = terminal or self.terminal
        step = step_of(scene, step)
        ctx = terminal_context(term, step=step, scene=scene)
        result, kind = self.verify_once(ctx, person, kind)
        if report and result is not None and result.outcome == "ok":
            card = kind == "card"
            self.node.report_usage(
                term,
                scene=scene,
                step=step,
                card_type="10" if card else "11",
                ehcid="" if card else person["ehcid"],
                card_number=person["card_number"] if card else "",
                visit_type=visit_type,
                payment_category=random.choice(("0100", "0200", "0200", "0200")),
            )


class _Via:
    """A user's view through another channel (same Locust user, interceptor and timeout)."""

    def __init__(self, user: GrpcUser, channel: Any) -> None:
        self.user, self.channel = user, channel
        self.interceptor, self.environment = user.interceptor, user.environment
        self.call_timeout_s = user.call_timeout_s

    def call(
        self, method: Any, request: Any, *, name: str | None = None, expect: Expect | None = None
    ) -> CallResult:
        return GrpcUser.call(self, method, request, name=name, expect=expect)  # type: ignore[arg-type]


def step_of(scene: str, default: str = "000000") -> str:
    """The medical step (诊疗环节) a scene belongs to, from the kit's code table."""
    entry = codes.SCENES.get(scene)
    return getattr(entry, "step", None) or default


def _parse_china_time(text: str) -> float:
    import calendar

    t = time.strptime(text, "%Y%m%d%H%M%S")
    return calendar.timegm(t) - 8 * 3600


class WindowTerminal(NodeActor):
    """Staffed window: same-day registration and payment; a clerk serves a patient every 2–6 s."""

    abstract = True
    role = "window"
    wait_time = think(2.0, 6.0)

    @task(3)
    def register_visit(self) -> None:
        self.use(scene="0101012", step="010101")

    @task(2)
    def take_payment(self) -> None:
        self.use(scene="0101051", step="010105")


class KioskTerminal(NodeActor):
    """Self-service kiosk: appointment check-in, payment, report printing; 3–8 s per patient."""

    abstract = True
    role = "kiosk"
    wait_time = think(3.0, 8.0)

    @task(3)
    def check_in(self) -> None:
        self.use(scene="0101019", step="010101")

    @task(2)
    def pay(self) -> None:
        self.use(scene="0101051", step="010105")

    @task(1)
    def print_lab_report(self) -> None:
        self.use(scene="0101081", step="010104")


class DoctorWorkstation(NodeActor):
    """Doctor's workstation: one consultation every 4–10 s of simulated time, card read at the start
    and again when prescribing for about half the patients."""

    abstract = True
    role = "doctor"
    wait_time = think(4.0, 10.0)

    @task
    def consult(self) -> None:
        self.use(scene="0101029", step="010102")
        if random.random() < 0.5:
            self.use(scene="0101069", step="010106")


# The full process of seed 001, each stage with the scene its terminal reports and the share of
# outpatient journeys that pass through it (registration, queueing, consultation, payment always).
JOURNEY: tuple[tuple[str, str, str, str, float], ...] = (
    # stage, scene, step, terminal role, probability
    ("registration", "0101012", "010101", "window", 1.0),
    ("queueing", "0190011", "019001", "kiosk", 1.0),
    ("consultation", "0101029", "010102", "doctor", 1.0),
    ("payment", "0101051", "010105", "kiosk", 1.0),
    ("lab", "0190021", "019002", "window", 0.45),
    ("imaging", "0101049", "010104", "window", 0.30),
    ("pharmacy", "0101039", "010103", "window", 0.70),
    ("inpatient", "0101099", "010109", "window", 0.05),
)
PHYSICAL_EXAM_SHARE = 0.10  # journeys that are a check-up (体检) instead of an outpatient visit


class PatientJourney(NodeActor):
    """One patient through a hospital day: every step reads the card and reports the use.

    The same person shows a medium at each step (one checkout for the whole journey), so a
    dynamic code is reused until it runs out, as on a real phone.
    """

    abstract = True
    role = "his"
    wait_time = think(1.0, 3.0)  # between journeys
    step_pause = (0.5, 2.0)  # walking between points of care (scaled like think time)

    def _pause(self) -> None:
        scale = self.ctx.think_scale
        if scale > 0:
            time.sleep(random.uniform(*self.step_pause) * scale)

    def _terminal(self, role: str) -> dict[str, Any]:
        """The hospital's HIS signs every step (one credential); the step's terminal role gives the
        channel and department of the context."""
        same_org = [
            t
            for t in self.ctx.dataset["terminals"]
            if t.get("role") == role and t["org_code"] == self.terminal["org_code"]
        ]
        if not same_org:
            return self.terminal
        point = random.choice(same_org)
        return dict(self.terminal, channel=point["channel"], department=point["department"])

    @task
    def visit(self) -> None:
        if random.random() < self.ctx.share("journey.physical_exam", PHYSICAL_EXAM_SHARE):
            steps = [
                ("physical_exam", "0190031", "019003", "window", 1.0),
                ("physical_exam", "0190032", "019003", "kiosk", 0.8),
            ]
            visit_type = "H"
        else:
            steps = list(JOURNEY)
            visit_type = "O"
        pool = self.ctx.pool
        person = pool.checkout() if pool else None
        if pool is None or person is None:
            return
        try:
            for _stage, scene, step, role, probability in steps:
                if random.random() >= probability:
                    continue
                self.use(
                    scene=scene,
                    step=step,
                    visit_type=visit_type,
                    terminal=self._terminal(role),
                    person=person,
                )
                self._pause()
        finally:
            pool.giveback(person)


class _Registrar(NodeActor):
    abstract = True
    application_mode: ClassVar[str] = "1"

    def on_start(self) -> None:
        seed = random.randrange(1 << 30)
        self._people = iter(
            synthetic_population(
                400, seed=seed, area=self.ctx.settings.get("area", "370811"), prefer_fixtures=False
            )
        )

    def next_person(self) -> Any:
        try:
            return next(self._people)
        except StopIteration:
            self.on_start()
            return next(self._people)


class OnlineRegistration(_Registrar):
    """A resident signs up in the mini-program (mode 1, channel 0402), then opens a dynamic code."""

    abstract = True
    role = "app"
    application_mode = "1"
    wait_time = think(1.0, 4.0)

    @task
    def sign_up(self) -> None:
        ctx = terminal_context(self.terminal)
        result = self.node.register(self.next_person(), self.application_mode, ctx)
        if result.outcome == "ok":
            ehcid = result.response.card.ehcid if self.ctx.mode == "node" else secrets.token_hex(32).upper()
            self.node.get_qr(ehcid, True, ctx)


class WindowRegistration(_Registrar):
    """Offline sign-up at a window or kiosk (mode 3) with the citizen ID card read."""

    abstract = True
    role = "window"
    application_mode = "3"
    wait_time = think(10.0, 30.0)

    @task
    def sign_up(self) -> None:
        self.node.register(self.next_person(), self.application_mode, terminal_context(self.terminal))


class BatchRegistration(_Registrar):
    """Batch pre-generation from the population database (mode 4), in chunks of ``batch_size``."""

    abstract = True
    role = "admin"
    application_mode = "4"
    wait_time = think(0.5, 1.5)

    @task
    def batch(self) -> None:
        size = int(self.ctx.share("batch.size", 100))
        people = [self.next_person() for _ in range(size)]
        self.node.register_batch(people, terminal_context(self.terminal))


class HisUsageReporter(NodeActor):
    """An HIS uploading uses it collected offline (village clinics, queued reports)."""

    abstract = True
    role = "his"
    wait_time = think(0.2, 1.0)

    @task
    def upload(self) -> None:
        person = random.choice(self.ctx.dataset["persons"])
        self.ctx.presented.add(person["ehcid"])
        _stage, scene, step, _role, _p = random.choice(JOURNEY)
        self.node.report_usage(self.terminal, scene=scene, step=step, card_type="11", ehcid=person["ehcid"])


VERIFY_DYNAMIC_SHARE = 0.30  # verify-only: share of dynamic codes (``--set verify.dynamic=…``)


class Verifier(NodeActor):
    """verify-only: VerifyQr and nothing else — no usage report, no GetQrCode in the timed part.

    Each presentation draws a resident uniformly from the WHOLE seeded population (``--population``:
    with 100k residents most reads miss any cache), showing the static code ``<EHCID>:1``, or — for
    ``verify.dynamic`` of them — one of the dynamic codes fetched while seeding. A dynamic code is
    used at most ``dynamic_budget`` times per run (its ``surplus_num`` split over the bench's runs),
    then the static code is shown instead, so no presentation fails for being used up.
    """

    abstract = True
    wait_time = think(0.2, 1.0)
    _uses: ClassVar[dict[str, int]] = {}  # per process: dynamic code -> verifications this run

    def on_start(self) -> None:
        self._persons = self.ctx.dataset["persons"]
        self._dynamic = self.ctx.dataset.get("dynamic_codes") or []
        self._budget = int(self.ctx.dataset.get("dynamic_budget") or 0)
        self._share = self.ctx.share("verify.dynamic", VERIFY_DYNAMIC_SHARE)

    def _code(self) -> str:
        if self._dynamic and self._budget > 0 and random.random() < self._share:
            text = random.choice(self._dynamic)
            used = Verifier._uses.get(text, 0)
            if used < self._budget:
                Verifier._uses[text] = used + 1
                self.ctx.presented.add(text[:64])
                return text
        person = random.choice(self._persons)
        self.ctx.presented.add(person["ehcid"])
        return person["static_qr"]

    @task
    def verify(self) -> None:
        ctx = terminal_context(self.terminal, step="010101", scene="0101012")
        self.node.verify_qr(self._code(), ctx, Expect.answer())
