"""``ehc demo``: a day in a city's health-card system, then its certification, in one offline command.

Stages (one output line each): start a reference node on a temporary SQLite store; generate a seeded
population of 任城区 (济宁 370800); batch-register it (``ehc node import`` style, guardians bound to
children); personalise resident health cards (chip) for some residents; run a day of visits through
the reference terminal (QR scanner on rendered images, chip-card reader with PSAM, ID-card reader)
and the reference HIS (挂号 排队 就诊 收费 检验 检查 取药 住院 体检) - both in process, the same code
their JSON-lines drivers run; one registration through the Tencent envelope; one visit through the
hospital's front-end server (``ehc node frontend`` in its own process: the HIS's reports acked by the
front-end, forwarded to the node); show an expired code and a suspended card being refused; certify
THAT node in certification mode over gRPC with its client file; verify the signed report; summarise.

Everything is TEST-ONLY (keys, people). A ``--seed`` fixes the population and so every number of
the summary; EHCIDs, keys and times are fresh on each run. Output goes to ``--out``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import click

from conformance_tests.errors import DEMO_STAGE_FAILED
from ehc.clitools import deprecated_alias
from ehc.errors import EhcError

# Kept beside the demo (the only user): a stage that did not do what it must.

CITY = "370800"  # 济宁, a seed city
# The population lives in one county, 任城区: the node suite's coverage tests set up their own
# residents in 370826..370828 and assume nobody else lives there (see the report's note).
COUNTY = "370811"
STEP_NAMES = {
    "registration": "挂号",
    "queue": "排队",
    "consultation": "就诊",
    "payment": "收费",
    "lab": "检验",
    "imaging": "检查",
    "pharmacy": "取药",
    "inpatient": "住院",
    "checkup": "体检",
}
MEDIUM_NAMES = {
    "ehc-qr-dynamic": "电子健康卡动态码 e-card dynamic code",
    "ehc-qr-static": "电子健康卡静态码 e-card static code",
    "resident-card": "居民健康卡 chip card",
    "id-card": "身份证 ID card",
}
STAGES = (
    "prepare",
    "node",
    "population",
    "issue",
    "day of visits",
    "tencent envelope",
    "front-end",
    "refusals",
    "usage",
    "certify node",
)
OUTPATIENT = ("registration", "queue", "consultation", "payment")
# One visit through the hospital's front-end server (前置机, docs/frontend.md): adult:1 again (its
# third registration today: still one KPI visit), with the e-card's static code.
FRONTEND_VISIT = ("registration", "consultation")
FRONTEND_TERMINAL = "HIS-FE-01"  # the HIS's terminal id at the front-end


@dataclass(frozen=True)
class Visit:
    """One patient's visit: who (a role in the population), with what, through which steps."""

    who: str  # adult:N | poverty | newborn | chip:N
    medium: str
    steps: tuple[str, ...]
    bill: tuple[int, str] | None = None  # 诊间支付: (cents, cardCostTypes) paid at the 收费 step


# The day's plan: every medium, every step of the full process, a poverty-relief inpatient
# (treat first, pay later) and a newborn whose e-card (its guardian's phone) shows a code.
DAY_PLAN: tuple[Visit, ...] = (
    Visit("adult:0", "ehc-qr-dynamic", (*OUTPATIENT, "lab", "pharmacy")),
    Visit("adult:1", "ehc-qr-static", (*OUTPATIENT, "imaging", "pharmacy"), bill=(12_345, "0200")),
    Visit("chip:0", "resident-card", (*OUTPATIENT, "lab", "imaging")),
    Visit("adult:2", "id-card", (*OUTPATIENT, "pharmacy")),
    Visit("poverty", "ehc-qr-dynamic", (*OUTPATIENT, "lab", "imaging", "pharmacy", "inpatient")),
    Visit("newborn", "ehc-qr-static", ("registration", "queue", "consultation", "payment")),
    Visit("chip:1", "resident-card", (*OUTPATIENT, "pharmacy")),
    Visit("adult:3", "ehc-qr-dynamic", ("checkup",)),
    Visit("adult:4", "ehc-qr-static", ("checkup",)),
    Visit("chip:2", "resident-card", ("registration", "consultation", "payment")),
)
CHIP_CARDS = 3


class StageFailed(Exception):
    """A stage did not do what it must; carries the error code shown to the user."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


class Stages:
    """Runs stages in order; one aligned line each; the first failure stops the demo."""

    def __init__(self, echo: Callable[[str], None]) -> None:
        self.echo = echo
        self.done: list[dict[str, Any]] = []

    def run(self, zh: str, en: str, fn: Callable[[], str]) -> None:
        import grpc

        from reference_node.client import error_of

        start = time.perf_counter()
        label = _pad(f"{zh} {en}", 26)
        try:
            detail = fn()
        except StageFailed as exc:
            self._fail(label, en, exc.code, str(exc))
        except EhcError as exc:
            self._fail(label, en, exc.code.name, exc.message or exc.code.meaning)
        except grpc.RpcError as exc:
            err = error_of(exc)
            self._fail(label, en, err.code.name, err.message or err.code.meaning)
        except Exception as exc:  # noqa: BLE001 - a demo stage never ends in a stack trace
            self._fail(label, en, DEMO_STAGE_FAILED.name, f"{type(exc).__name__}: {exc}")
        seconds = time.perf_counter() - start
        self.echo(f"  ✓ {label}{_pad(detail, 64)} {seconds:5.1f} s")
        self.done.append({"stage": en, "seconds": round(seconds, 2)})

    def _fail(self, label: str, stage: str, code: str, message: str) -> None:
        self.echo(f"  ✗ {label}{code}: {message}")
        raise StageFailed(code, f"{stage}: {message}")


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise StageFailed(DEMO_STAGE_FAILED.name, message)


# ---------------------------------------------------------------------------------- stages
def _population(seed: int, count: int) -> tuple[list[Any], dict[str, Any]]:
    """A seeded population of the city and the residents the day plan needs."""
    from fixtures.population import PopulationConfig, generate

    people = list(
        generate(PopulationConfig(count=count, seed=seed, region=COUNTY, poverty_rate=0.2, newborn_rate=0.08))
    )
    by_number = {p.id_number: p for p in people}
    newborns = [
        p for p in people if p.id_type != "01" and p.birth_certificate and p.guardian_id_number in by_number
    ]
    adults = [
        p for p in people if p.id_type == "01" and p.birth_date <= "2006-12-31" and not p.poverty_relief
    ]
    poor = [p for p in people if p.poverty_relief and p.id_type == "01"]
    _expect(bool(newborns), f"seed {seed}: no newborn with a birth certificate and a guardian")
    _expect(bool(poor), f"seed {seed}: no poverty-relief resident")
    _expect(len(adults) >= 5 + CHIP_CARDS + 1, f"seed {seed}: too few adults for the day plan")
    roles = {
        "newborn": newborns[0],
        "poverty": poor[0],
        "suspended": adults[-1],
        **{f"adult:{i}": p for i, p in enumerate(adults[:5])},
        **{f"chip:{i}": p for i, p in enumerate(adults[5 : 5 + CHIP_CARDS])},
    }
    return people, roles


def _register(client: Any, people: list[Any]) -> tuple[dict[str, str], int, list[str]]:
    """Batch pre-generation (mode 4) over RegisterBatchChunks, then guardian binding."""
    from reference_node.cli import person_request
    from reference_node.proto.ehc.node.v1 import issuance_pb2 as ip

    chunk = ip.RegisterChunk(records=[person_request(asdict(p)) for p in people])
    ehcid_of: dict[str, str] = {}
    refused: list[str] = []
    for result in client.issuance.RegisterBatchChunks(iter([chunk])):
        for item in result.items:
            if item.ok:
                ehcid_of[people[item.index].id_number] = item.ehcid
            else:
                refused.append(item.error.code)
    bound = 0
    for p in people:
        if p.guardian_id_number and p.id_number in ehcid_of and p.guardian_id_number in ehcid_of:
            client.issuance.BindFamily(
                ip.BindFamilyRequest(
                    guardian_ehcid=ehcid_of[p.guardian_id_number],
                    member_ehcid=ehcid_of[p.id_number],
                    relation="guardian",
                )
            )
            bound += 1
    return ehcid_of, bound, refused


class Day:
    """The reference terminal (window readers) and the reference HIS, in process, on the node."""

    def __init__(self, running: Any, profile: Any, out: Path) -> None:
        from card_emulators.personalise import CardKeys, new_psam
        from conformance_tests.cardhost import CardHost
        from conformance_tests.drivers.reference_his import His
        from conformance_tests.drivers.reference_terminal import Terminal
        from ehc.gm import SM2PrivateKey

        self.client = running.client()
        self.admin = running.client("admin")
        self.out = out
        self.scenes: dict[str, str] = dict(profile.param("scenes"))
        self.held_codes: dict[str, str] = {}  # EHCID -> the dynamic code the resident's phone shows
        self.keys = CardKeys.test_only("ehc-demo")
        self.issuer = SM2PrivateKey.from_int(0xDE40)  # TEST-ONLY issuer key of the demo's chip cards
        self.psam_path = out / "cards" / "psam.json"
        self.psam_path.parent.mkdir(parents=True, exist_ok=True)
        psam = new_psam(self.keys)
        psam.save(self.psam_path)
        # The terminal reaches the cards in slots the kit hosts (driver protocol v2): the PSAM stays
        # in its slot, each chip card is inserted for its read.
        self.cards = CardHost("socket")
        self.cards.insert("psam", psam)
        creds = running.credentials.to_dict()
        self.terminal = Terminal()
        self.terminal.configure(
            {
                "node": running.target,
                "credentials": creds,
                "context": {"department": "5500"},
                "issuer_public_key_hex": self.issuer.public_key.hex(),
            }
        )
        self.his = His()
        self.his.configure(
            {
                "node": running.target,
                "credentials": creds,
                "scenes": self.scenes,
                "hospital_cards": profile.param("hospital_cards", {}),
            }
        )
        self.chip_images: dict[str, Path] = {}
        self.chip_cards: dict[str, Any] = {}
        self.kept: set[str] = set()
        self.refusals: Counter[str] = Counter()
        self.accepted = 0

    def close(self) -> None:
        for c in (self.client, self.admin, self.terminal.client, self.his.client):
            c.close()
        self.cards.close()

    # ---------------------------------------------------------------- issuance
    def issue_chip(self, person: Any) -> None:
        from card_emulators.personalise import personalise_user_card
        from reference_node.proto.ehc.node.v1 import main_index_pb2 as mp

        card = personalise_user_card(person, self.keys, self.issuer, city_code=CITY)
        path = self.out / "cards" / f"chip-{person.person_id}.json"
        card.save(path)
        self.chip_images[person.id_number] = path
        self.chip_cards[person.id_number] = card
        # The issued card becomes a medium of the holder's main index (card number = ID number,
        # item 8), so a HIS can resolve the patient by the card alone.
        holder = self.client.main_index.Resolve(
            mp.ResolveRequest(
                medium=mp.MEDIUM_CITIZEN_ID, identifier=person.id_number, context=self.client.context()
            )
        ).person
        self.client.main_index.LinkMedium(
            mp.LinkMediumRequest(
                main_index=holder.main_index,
                medium=mp.MEDIUM_RESIDENT_HEALTH_CARD,
                identifier=person.id_number,
                atr=card.getATR().hex().upper() if hasattr(card, "getATR") else "",
                context=self.client.context(),
            )
        )

    def code(self, ehcid: str, dynamic: bool, lifetime: int = 0) -> str:
        import grpc

        from reference_node.client import error_of
        from reference_node.proto.ehc.node.v1 import common_pb2 as C
        from reference_node.proto.ehc.node.v1 import issuance_pb2 as ip

        kind = C.CODE_TYPE_DYNAMIC if dynamic else C.CODE_TYPE_STATIC
        request = ip.GetQrCodeRequest(
            ehcid=ehcid, code_type=kind, lifetime_seconds=lifetime, context=self.client.context()
        )
        held = self.held_codes
        try:
            text = self.client.issuance.GetQrCode(request).qr_text
        except grpc.RpcError as exc:
            # a profile that refuses a new dynamic code while one is valid (Jining): the
            # resident's phone shows the code it already holds, as a real app does
            if dynamic and error_of(exc).code.name == "NODE_QR_REISSUE_REFUSED" and ehcid in held:
                return held[ehcid]
            raise
        if dynamic:
            held[ehcid] = text
        return text

    # ---------------------------------------------------------------- the window
    def window(self, person: Any, medium: str, scene: str, qr_text: str = "") -> dict[str, Any]:
        """Identify at the first step's window: scan the rendered code, read the chip or the ID card."""
        from card_emulators.readers.idcard import simulate_from_person
        from qr_codec.image import render_png

        req: dict[str, Any] = {"scene": scene}
        if medium.startswith("ehc-qr"):
            import base64

            png = render_png(qr_text, ec_level="M")
            if medium not in self.kept:  # one example of each kind of code, to look at
                self.kept.add(medium)
                (self.out / f"{medium}.png").write_bytes(png)
            req["image_png_b64"] = base64.b64encode(png).decode("ascii")
            answer = self.terminal.present_qr(req)
        elif medium == "resident-card":
            self.cards.insert("card", self.chip_cards[person.id_number])
            try:
                req.update(card=self.cards.location("card"), psam=self.cards.location("psam"))
                answer = self.terminal.insert_card(req)
            finally:
                self.cards.eject("card")
        else:
            req["record"] = simulate_from_person(person).to_dict()
            answer = self.terminal.present_id_card(req)
        error = answer.get("result", {}).get("error")
        if error:
            self.refusals[error["code"]] += 1
        else:
            self.accepted += 1
        return answer

    def visit(self, person: Any, plan: Visit, qr_text: str) -> dict[str, Any]:
        answer = self.window(person, plan.medium, self.scenes[plan.steps[0]], qr_text)
        error = answer.get("result", {}).get("error")
        _expect(error is None, f"{MEDIUM_NAMES[plan.medium]} refused at the window: {error}")
        rest = plan.steps[1:]
        if not rest:
            return {"steps": [plan.steps[0]], "pay_later": False}
        # The HIS carries the patient through the remaining steps, identifying them again as a
        # HIS does (a chip card by its card number, linked at issuance).
        patient = (
            {"medium": plan.medium, "qr_text": qr_text}
            if plan.medium.startswith("ehc-qr")
            else {"medium": plan.medium, "identifier": person.id_number}
        )
        request: dict[str, Any] = {"patient": patient, "steps": list(rest)}
        if plan.bill:  # a consulting-room payment (TEST-ONLY settlement) at the 收费 step
            request["bill"] = {"amount_cents": plan.bill[0], "category": plan.bill[1], "method": "wechat"}
        done = self.his.visit(request)
        if done.get("error") is not None:
            self.refusals[done["error"]["code"]] += 1
        _expect(done.get("error") is None, f"HIS could not identify the patient: {done.get('error')}")
        self.accepted += 1
        reported = [s["step"] for s in done["steps"] if s["reported"]]
        _expect(len(reported) == len(rest), f"HIS reported {len(reported)} of {len(rest)} steps")
        paid = [s["payment"] for s in done["steps"] if s.get("payment")]
        return {"steps": [plan.steps[0], *reported], "pay_later": done["pay_later"], "payments": paid}

    def settlement(self, paid: list[dict[str, Any]]) -> dict[str, Any]:
        """The node's ledger of the day against the payments the HIS made, and the HIS's day-end
        reconciliation of its own books (docs/payment.md)."""
        from reference_node.proto.ehc.node.v1 import settlement_pb2 as sp

        today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date().isoformat()
        ledger = self.admin.settlement.GetLedger(
            sp.LedgerRequest(
                date=today, org_code=self.client.credentials.org_code, context=self.admin.context()
            )
        )
        held = {(e.reference, e.amount_cents, e.category) for e in ledger.entries if e.kind == "payment"}
        for p in paid:
            _expect(p.get("status") == "paid", f"诊间支付 consulting-room payment not made: {p}")
            _expect(
                (p["payment_id"], p["amount_cents"], p["category"]) in held,
                f"payment {p['payment_id']} is not on the node's ledger as the HIS made it",
            )
        day_end = self.his.day_end({"date": today})
        _expect(bool(day_end.get("reconciled")), f"day-end reconciliation failed: {day_end}")
        _expect(not day_end["mismatches"], f"day-end reconciliation: {day_end['mismatches']}")
        return {
            "payments": len(paid),
            "cents": ledger.payments_cents,
            "categories": sorted({p["category"] for p in paid}),
            "reconciled": day_end["matched"],
            "mismatches": len(day_end["mismatches"]),
        }


def _usage_by_step(running: Any, scenes: dict[str, str]) -> Counter[str]:
    """Usage records the node's store holds (e-card, chip and ID-card uses alike), by step."""
    by_scene = {scene: step for step, scene in scenes.items()}
    rows = running.node.db.query("SELECT scene, COUNT(*) FROM usage GROUP BY scene", [])
    return Counter({by_scene.get(r[0], r[0]): int(r[1]) for r in rows})


CARD_TYPES = {"11": "ehc-qr", "10": "resident-card", "20": "id-card"}  # usage card_type codes


def _usage_by_medium(running: Any) -> Counter[str]:
    rows = running.node.db.query("SELECT card_type, COUNT(*) FROM usage GROUP BY card_type", [])
    return Counter({CARD_TYPES.get(r[0], r[0]): int(r[1]) for r in rows})


def _ecard_share(running: Any, today: dt.date) -> tuple[int, int]:
    """(visits, e-card visits) today by the supervision KPI engine's definition."""
    from reference_node.supervision.kpis import KpiEngine
    from reference_node.supervision.periods import Period

    rows = KpiEngine(running.node.db).visits_by_day(Period(today, today))
    return sum(r[2] for r in rows), sum(r[3] for r in rows)


# The demo's node states what it is configured with, as a vendor's declaration would.
DECLARATION = """# Written by ehc demo: what the demo's node is configured with (TEST-ONLY).
[dut]
name = "ehc demo node"
vendor = "ehc kit (TEST-ONLY)"
version = "demo"

[claims]
roles = ["node"]

[declared]
"dynamic_code.clock_skew_seconds" = {skew}
"""


def _certify(
    client_file: Path, target: str, profile: str, out: Path, skew: int, certified_only: bool = False
) -> dict[str, Any]:
    """``ehc certify node --target "HOST:PORT;client=FILE" --certification`` on the demo's node;
    ``certified_only``: the node admits certified terminals only (the suite's get lab certificates)."""
    from .reportsign import verify_directory
    from .runner import RunOptions, run_with_result

    report_dir = out / "node-report"
    declaration = out / "node-declaration.toml"
    declaration.write_text(DECLARATION.format(skew=skew), encoding="utf-8")
    # The node serves plaintext for the day's in-process terminal and HIS; it is certified as
    # deployed, behind a TLS front (the security gateway's job, SEC-009), with the front's CA.
    from reference_node.client import load_client_file
    from reference_node.identities import provision_identities, write_client_file

    from .tlsmaterial import TlsTerminator

    # the authorisation tests need a second terminal and another organisation's (docs/node.md)
    _, terminal = load_client_file(client_file, "terminal")
    _, admin = load_client_file(client_file, "admin")
    identities = provision_identities(target, terminal, admin)
    client_file = write_client_file(out / "node-client.json", target, identities)
    if certified_only:  # the lab's step first (conformance_tests/labcert.py)
        from .labcert import certify_terminals

        suite = [identities[role].terminal_id for role in ("terminal", "peer", "foreign")]
        certify_terminals(target, admin, suite, profile)
    front = TlsTerminator(target)
    ca_file = out / "node-tls-ca.pem"
    ca_file.write_bytes(front.material.ca)
    with _output_to(out / "node-certification.log"), contextlib.closing(front):
        code, _ = run_with_result(
            RunOptions(
                role="node",
                dut=f"{front.target};client={client_file};ca={ca_file}",
                profile=profile,
                declaration=str(declaration),
                out=str(report_dir),
                certification=True,
                quiet=True,
            )
        )
    report_path = report_dir / "report.json"
    _expect(
        report_path.is_file(), f"certification produced no report (exit {code}); see node-certification.log"
    )
    report = json.loads(report_path.read_text(encoding="utf-8"))
    verified = verify_directory(report_dir)
    return {
        "exit": code,
        "verdict": str(report["verdict"]).upper(),
        "tests": report["summary"]["tests"],
        "requirements": report["summary"]["requirements"],
        "signature_ok": bool(verified.ok),
        "report": str((report_dir / "report.html").resolve()),
        "log": str((out / "node-certification.log").resolve()),
    }


@contextlib.contextmanager
def _output_to(path: Path) -> Iterator[None]:
    """Send what the test run prints (file descriptors 1 and 2) to a log: the demo prints one line."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with path.open("wb") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


# ---------------------------------------------------------------------------------- command
@deprecated_alias("--people", "--count")
@click.command("demo")
@click.option("--out", type=click.Path(file_okay=False), default="ehc-demo", show_default=True)
@click.option("--seed", type=int, default=1, show_default=True, help="population and plan seed")
@click.option(
    "--count",
    "-n",
    "people",
    type=int,
    default=60,
    show_default=True,
    help="residents (as in ehc fixtures population)",
)
@click.option("--profile", default="national", show_default=True, help="certification profile")
@click.option("--serve", is_flag=True, help="keep the demo node running until Ctrl-C")
@click.option("--json", "as_json", is_flag=True, help="print a JSON summary only")
@click.option(
    "--fail-stage",
    hidden=True,
    type=click.Choice(STAGES),
    default=None,
    help="testing: make the named stage fail (proves the exit code)",
)
def demo(
    out: str, seed: int, people: int, profile: str, serve: bool, as_json: bool, fail_stage: str | None
) -> None:
    """A day of visits on a fresh city node, then the node's certification (offline, TEST-ONLY)."""
    echo: Callable[[str], None] = (lambda _t: None) if as_json else click.echo
    summary: dict[str, Any] = {"ok": False, "seed": seed}
    try:
        _run(Path(out), seed, people, profile, serve, echo, summary, fail_stage)
    except StageFailed as exc:
        summary["error"] = {"code": exc.code, "message": str(exc)}
        if as_json:
            click.echo(json.dumps(summary, ensure_ascii=False))
        else:
            click.echo(f"demo FAILED: {exc.code}: {exc}", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
    sys.exit(0)


def _run(
    root: Path,
    seed: int,
    count: int,
    profile_name: str,
    serve: bool,
    echo: Callable[[str], None],
    summary: dict[str, Any],
    fail_stage: str | None,
) -> None:
    demo_run = DemoRun(root, seed, count, profile_name, echo, summary, fail_stage)
    echo(
        f"ehc demo — seed {seed}, 济宁 Jining {CITY} (任城区 {COUNTY}), profile {profile_name} "
        "(TEST-ONLY keys and people)"
    )
    t0 = time.perf_counter()
    try:
        demo_run.run()
    finally:
        if not serve:
            demo_run.close()
    summary["stages"] = demo_run.stages.done
    summary["seconds"] = round(time.perf_counter() - t0, 1)
    summary["ok"] = True
    _print_summary(echo, summary)
    if serve:
        demo_run.serve()


class DemoRun:
    """The demo's stages, in order; each returns its one-line detail and keeps what later ones need."""

    def __init__(
        self,
        root: Path,
        seed: int,
        count: int,
        profile_name: str,
        echo: Callable[[str], None],
        summary: dict[str, Any],
        fail_stage: str | None,
    ) -> None:
        self.root, self.seed, self.count, self.profile_name = root, seed, count, profile_name
        self.summary = summary
        self.fail_stage = fail_stage
        self.stages = Stages(echo)
        self.echo = echo
        self.tmp: tempfile.TemporaryDirectory[str] | None = None
        self.running: Any = None
        self.day: Day | None = None
        self.profile: Any = None
        self.node_config: Any = None
        self.population: list[Any] = []
        self.roles: dict[str, Any] = {}
        self.ehcid_of: dict[str, str] = {}
        self.steps: Counter[str] = Counter()
        self.expiring = ""
        self.t_expiring = 0.0

    def run(self) -> None:
        for zh, en, fn in (
            ("准备", "prepare", self.prepare),
            ("节点", "node", self.start_node),
            ("人口", "population", self.make_population),
            ("发卡", "issue", self.issue),
            ("门诊日", "day of visits", self.day_of_visits),
            ("微信接口", "tencent envelope", self.tencent_visit),
            ("前置机", "front-end", self.frontend_visit),
            ("拒绝", "refusals", self.refusals),
            ("上报", "usage", self.usage),
            ("认证", "certify node", self.certify),
        ):
            assert en in STAGES
            self.stages.run(zh, en, _injected_failure if self.fail_stage == en else fn)

    def close(self) -> None:
        if self.day is not None:
            self.day.close()
            self.day = None
        if self.running is not None:
            self.running.stop()
        if self.tmp is not None:
            self.tmp.cleanup()

    def serve(self) -> None:
        self.echo(f"node serving on {self.running.target} (Ctrl-C to stop); try:")
        self.echo(f"  ehc node client --client-file {self.running.client_file} get --ehcid <EHCID>")
        self.echo(f"  (EHCIDs by person: {self.root / 'cards' / 'ehcids.json'})")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            self.close()

    # ------------------------------------------------------------------ stages
    def prepare(self) -> str:
        from .adapters.node import reference_config
        from .catalogue import default_catalogue
        from .profiles import load_profile

        try:
            self.root.mkdir(parents=True, exist_ok=True)
            (self.root / "cards").mkdir(exist_ok=True)
            probe = self.root / ".write-test"
            probe.write_text("ok")
            probe.unlink()
        except OSError as exc:
            raise StageFailed(DEMO_STAGE_FAILED.name, f"cannot write {self.root}: {exc.strerror}") from None
        self.profile = load_profile(self.profile_name, default_catalogue())
        # The profile's code rules; no per-terminal rate limit: certification drives hundreds of
        # calls a second through the one terminal identity of the client file (docs/assumptions.md).
        # The Tencent front door too: one visit of the day goes through the envelope most hospitals use.
        self.node_config = replace(reference_config(self.profile), rate_limit_per_s=0, apis=("tencent",))
        self.summary["out"] = str(self.root.resolve())
        return f"output in {self.root.resolve()}"

    def start_node(self) -> str:
        from reference_node.testing import start_node

        self.tmp = tempfile.TemporaryDirectory(prefix="ehc-demo-node-")
        self.running = start_node(self.tmp.name, config=self.node_config, http=True)
        self.day = Day(self.running, self.profile, self.root)
        return (
            f"reference node on {self.running.target}, Tencent envelope on "
            f"http://127.0.0.1:{self.running.http_port}, temporary SQLite store"
        )

    def make_population(self) -> str:
        self.population, self.roles = _population(self.seed, self.count)
        (self.root / "population.jsonl").write_text(
            "".join(json.dumps(asdict(p), ensure_ascii=False) + "\n" for p in self.population),
            encoding="utf-8",
        )
        poor = sum(1 for p in self.population if p.poverty_relief)
        newborns = sum(1 for p in self.population if p.birth_certificate and p.id_type != "01")
        return f"{len(self.population)} residents: {poor} 建档立卡 poverty-relief, {newborns} 新生儿 newborns"

    def issue(self) -> str:
        day = self._day()
        self.ehcid_of, bound, refused = _register(day.client, self.population)
        _expect(not refused, f"batch registration refused {len(refused)}: {Counter(refused)}")
        for i in range(CHIP_CARDS):
            day.issue_chip(self.roles[f"chip:{i}"])
        # person_id -> EHCID, to call the node by hand (no ID numbers in it)
        cards = {
            p.person_id: self.ehcid_of[p.id_number] for p in self.population if p.id_number in self.ehcid_of
        }
        (self.root / "cards" / "ehcids.json").write_text(json.dumps(cards, indent=1), encoding="utf-8")
        self.summary["registered"] = len(self.ehcid_of)
        self.summary["cards"] = {"ecard": len(self.ehcid_of), "chip": CHIP_CARDS}
        # A 1-second dynamic code, issued now, presented after the day: it must be refused as expired.
        self.expiring = day.code(self.ehcid_of[self.roles["adult:0"].id_number], dynamic=True, lifetime=1)
        self.t_expiring = time.perf_counter()
        return f"{len(self.ehcid_of)} e-cards by batch, {CHIP_CARDS} chip cards, {bound} guardians bound"

    def day_of_visits(self) -> str:
        day = self._day()
        media: Counter[str] = Counter()
        pay_later = 0
        paid: list[dict[str, Any]] = []
        for plan in DAY_PLAN:
            person = self.roles[plan.who]
            text = ""
            if plan.medium.startswith("ehc-qr"):  # the patient's phone shows a fresh code
                text = day.code(self.ehcid_of[person.id_number], dynamic=plan.medium == "ehc-qr-dynamic")
            done = day.visit(person, plan, text)
            self.steps.update(done["steps"])
            media[plan.medium] += 1
            pay_later += int(done["pay_later"])
            paid += done.get("payments", [])
        expected = sum(1 for v in DAY_PLAN if self.roles[v.who].poverty_relief and len(v.steps) > 1)
        _expect(pay_later == expected, f"{pay_later} visits paid later, {expected} poverty-relief visits")
        settled = day.settlement(paid)
        self.summary.update(visits=len(DAY_PLAN), steps=dict(self.steps), media=dict(media), payment=settled)
        return (
            f"{len(DAY_PLAN)} visits, {sum(self.steps.values())} steps, "
            f"{len(media)} media, {pay_later} 先诊疗后付费 pay-later, "
            f"{settled['payments']} 诊间支付 paid ¥{settled['cents'] / 100:.2f}, day-end reconciled"
        )

    def tencent_visit(self) -> str:
        """One registration visit as a WeChat-route HIS makes it: through the Tencent envelope
        (getAppToken, getDynamicQRCode, verifyQRCode, reportHISData), on the same node."""
        from reference_node.platforms.tencent_client import TencentClient

        day = self._day()
        creds = self.running.credentials
        person = self.roles["adult:1"]
        client = TencentClient(
            f"http://127.0.0.1:{self.running.http_port}",
            creds.terminal_id,
            creds.secret.hex(),
            creds.org_code,
        )
        try:
            ehcid = self.ehcid_of[person.id_number]
            code = client.call(
                "getDynamicQRCode",
                {"healthCardId": ehcid, "idType": "01", "idNumber": person.id_number, "codeType": "0"},
            )
            _expect(code["commonOut"]["resultCode"] == 0, f"getDynamicQRCode: {code['commonOut']}")
            seen = client.call(
                "verifyQRCode",
                {
                    "qrCodeText": code["rsp"]["qrCodeText"],
                    "medicalStep": day.scenes["registration"][:6],
                    "channelCode": "0402",
                    "useCityCode": creds.use_city or self.node_config.node_id,
                    "hospitalCode": creds.org_code,
                },
            )
            _expect(
                seen["commonOut"]["resultCode"] == 0 and seen["rsp"]["healthCardId"] == ehcid,
                f"verifyQRCode: {seen['commonOut']}",
            )
            now = dt.datetime.now(dt.timezone(dt.timedelta(hours=8)))
            report = client.call(
                "reportHISData",
                {
                    "qrCodeText": code["rsp"]["qrCodeText"],
                    "time": now.strftime("%Y-%m-%d %H:%M:%S"),
                    "hospitalCode": creds.org_code,
                    "scene": day.scenes["registration"],
                    "cardType": "11",
                    "cardChannel": "0402",
                    "cardCostTypes": "0100",
                },
            )
            _expect(report["commonOut"]["resultCode"] == 0, f"reportHISData: {report['commonOut']}")
        finally:
            client.close()
        self.steps.update(["registration"])
        self.summary["tencent_visit"] = {"operations": 4, "result_codes": [0, 0, 0, 0]}
        return "getAppToken → getDynamicQRCode → verifyQRCode → reportHISData: resultCode 0 each"

    def frontend_visit(self) -> str:
        """One visit through ``ehc node frontend`` (its own process) in front of the demo's node:
        the front-end is enrolled at the node as a terminal of the hospital, the reference HIS calls
        the front-end with its own credential there, the front-end acknowledges each usage report
        once it is durable in its outbox and forwards it; the stage ends when the city node holds
        the visit's reports, under the front-end's terminal id."""
        from conformance_tests.drivers.reference_his import His
        from reference_node.frontend.auth import enrol_at_node, write_client_file
        from reference_node.frontend.testing import start_frontend_process
        from reference_node.proto.ehc.node.v1 import usage_pb2 as up

        assert self.tmp is not None  # set by start_node
        day = self._day()
        creds = self.running.credentials
        fe_id = f"FE-{creds.org_code}"[:32]
        hospital = enrol_at_node(
            day.admin, fe_id, creds.org_code, certified=self.node_config.require_certified_terminals
        )
        client_file = write_client_file(
            Path(self.tmp.name) / "frontend" / "hospital.json", self.running.target, hospital
        )
        ehcid = self.ehcid_of[self.roles["adult:1"].id_number]
        since = (dt.datetime.now(dt.timezone(dt.timedelta(hours=8))) - dt.timedelta(seconds=1)).strftime(
            "%Y%m%d%H%M%S"
        )
        fe = start_frontend_process(
            Path(self.tmp.name) / "frontend", self.running.target, client_file, terminals=[FRONTEND_TERMINAL]
        )
        his = His()
        try:
            his.configure(
                {
                    "node": fe.target,
                    "credentials": fe.credentials(FRONTEND_TERMINAL).to_dict(),
                    "scenes": day.scenes,
                }
            )
            code = day.code(ehcid, dynamic=False)
            t0 = time.perf_counter()
            done = his.visit(
                {"patient": {"medium": "ehc-qr-static", "qr_text": code}, "steps": list(FRONTEND_VISIT)}
            )
            _expect(done.get("error") is None, f"HIS through the front-end: {done.get('error')}")
            acked = [s["step"] for s in done["steps"] if s["reported"]]
            _expect(len(acked) == len(FRONTEND_VISIT), f"the front-end acknowledged {len(acked)} reports")
            # store and forward: the reports reach the city node in the background
            request = up.QueryUsageRequest(ehcid=ehcid, from_time=since, limit=100)
            held: list[Any] = []
            while time.perf_counter() - t0 < 15:
                held = [r for r in day.admin.usage.QueryUsage(request).records if r.terminal_id == fe_id]
                if len(held) >= len(acked):
                    break
                time.sleep(0.05)
            seconds = time.perf_counter() - t0
        finally:
            if his.client is not None:  # None when configure failed
                his.client.close()
            fe.stop()
        _expect(
            sorted(r.scene for r in held) == sorted(day.scenes[s] for s in FRONTEND_VISIT),
            f"the city node holds {len(held)} of the {len(acked)} reports the front-end acknowledged",
        )
        self.steps.update(acked)
        self.summary["frontend_visit"] = {
            "steps": acked,
            "acknowledged": len(acked),
            "at_node": len(held),
            "node_terminal": fe_id,
            "seconds": round(seconds, 2),
        }
        return (
            f"HIS → ehc node frontend → city node: {len(acked)} reports acked, {len(held)} at the node "
            f"({fe_id}) after {seconds:.1f} s"
        )

    def refusals(self) -> str:
        from reference_node.proto.ehc.node.v1 import issuance_pb2 as ip

        day = self._day()
        # lifetime + the node's clock-skew tolerance + 1 s: validity is kept to the second
        wait = 1 + self.node_config.clock_skew_s + 1.2 - (time.perf_counter() - self.t_expiring)
        if wait > 0:
            time.sleep(wait)
        registration = day.scenes["registration"]
        expired = day.window(self.roles["adult:0"], "ehc-qr-dynamic", registration, self.expiring)
        victim = self.ehcid_of[self.roles["suspended"].id_number]
        static = day.code(victim, dynamic=False)
        day.admin.issuance.Suspend(
            ip.CardActionRequest(ehcid=victim, reason="demo: card reported lost", context=day.admin.context())
        )
        suspended = day.window(self.roles["suspended"], "ehc-qr-static", registration, static)
        codes = [a.get("result", {}).get("error", {}).get("code", "") for a in (expired, suspended)]
        _expect(all(codes), f"a code that must be refused was accepted: {codes}")
        self.summary["verifications"] = {"ok": day.accepted, "refused": dict(day.refusals)}
        return f"expired code → {codes[0]}; suspended card → {codes[1]}"

    def usage(self) -> str:
        by_step = _usage_by_step(self.running, self._day().scenes)
        total, made = sum(by_step.values()), sum(self.steps.values())
        _expect(total == made, f"node holds {total} usage reports, the day made {made}")
        from reference_node.config import now_cst

        # the node dates visits in Beijing time (UTC+8): from 16:00 UTC its day is the next one
        visits, ecard = _ecard_share(self.running, now_cst().date())
        self.summary.update(
            usage_reports=total,
            usage_by_step=dict(by_step),
            usage_by_medium=dict(_usage_by_medium(self.running)),
            kpi={"visits": visits, "ecard_visits": ecard},
        )
        share = f"{100 * ecard / visits:.0f} %" if visits else "n/a"
        return f"{total} usage reports; KPI e-card share of today's visits {share} ({ecard}/{visits})"

    def certify(self) -> str:
        self._day().close()  # the day's clients; the node keeps running for its certification
        self.day = None
        running = self.running
        # certified as deployed under the profile (`ehc node serve --profile`): the day ran with the
        # reference's per-visit rules; a province's node refuses hospital cards after its dates and
        # admits certified terminals only, and the node suite checks exactly that
        from .adapters.node import with_deployed_rules

        running.node.config = with_deployed_rules(running.node.config, self.profile)
        result = _certify(
            running.client_file, running.target, self.profile_name, self.root, self.node_config.clock_skew_s,
            certified_only=running.node.config.require_certified_terminals,
        )  # fmt: skip
        t, r = result["tests"], result["requirements"]
        _expect(result["verdict"] == "PASS", f"verdict {result['verdict']}: {t['failed']} tests failed")
        _expect(result["signature_ok"], "the signed report does not verify")
        self.summary["certification"] = result
        return (
            f"{result['verdict']}: {t['passed']} passed, {t['failed']} failed, {t['skipped']} skipped; "
            f"{r['pass']} requirements met; signature verifies"
        )

    def _day(self) -> Day:
        assert self.day is not None  # set by start_node, which runs first
        return self.day


def _injected_failure() -> str:
    raise StageFailed(DEMO_STAGE_FAILED.name, "failure injected by --fail-stage")


def _print_summary(echo: Callable[[str], None], s: dict[str, Any]) -> None:
    steps = "  ".join(f"{STEP_NAMES[k]} {k} {s['steps'].get(k, 0)}" for k in STEP_NAMES)
    refused = ", ".join(f"{code} {n}" for code, n in sorted(s["verifications"]["refused"].items()))
    cert = s["certification"]
    kpi = s["kpi"]
    fe = s["frontend_visit"]
    pay = s["payment"]
    media = ", ".join(f"{k} {v}" for k, v in sorted(s["usage_by_medium"].items()))
    share = f"{100 * kpi['ecard_visits'] / kpi['visits']:.0f} %" if kpi["visits"] else "n/a"
    rows = [
        ("居民 people", f"{s['registered']} registered"),
        ("卡 cards", f"{s['cards']['ecard']} e-card 电子健康卡, {s['cards']['chip']} chip 居民健康卡"),
        ("就诊 visits", f"{s['visits']} visits, {s['usage_reports']} usage reports 用卡上报 ({media})"),
        ("环节 by step", steps),
        ("核验 checks", f"{s['verifications']['ok']} identifications OK, refused: {refused}"),
        ("前置机 relay", f"{fe['acknowledged']} reports acked by the front-end, {fe['at_node']} forwarded"),
        (
            "支付 payment",
            f"{pay['payments']} 诊间支付 consulting-room payment ¥{pay['cents'] / 100:.2f} "
            f"(cardCostTypes {', '.join(pay['categories'])}), day-end: {pay['mismatches']} mismatches",
        ),
        ("监管 KPI", f"电子健康卡 share of today's visits {share} ({kpi['ecard_visits']}/{kpi['visits']})"),
        ("认证 verdict", f"{cert['verdict']} ({cert['tests']['passed']} tests passed), signature verifies"),
        ("报告 report", cert["report"]),
        ("输出 output", s["out"]),
    ]
    echo("")
    for label, value in rows:
        echo(f"  {_pad(label, 14)}{value}")
    echo(f"demo OK in {s['seconds']} s")
