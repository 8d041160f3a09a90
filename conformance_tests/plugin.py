"""pytest plugin of the conformance kit.

* ``@pytest.mark.requirement("QR-TEXT-001", ...)`` ties a test to catalogue ids; an unknown id,
  or a suite test without the marker, is a collection error.
* Tests whose requirements are all not applicable (profile, role, declaration) are skipped with
  the reason; the report still lists those requirements as ``not-applicable``.
* Fixtures: ``dut`` (the adapter chosen with ``--ehc-dut``), ``transcript`` (the running test's
  transcript, also fed by the adapter), ``profile`` and ``run_context``.
* Hypothesis: ``--ehc-certification`` runs derandomised; otherwise every run has a seed (printed,
  stored in the report) and an example database in the output directory that ``--ehc-replay``
  reuses.
* At the end: verdict per requirement, ``report.json``, ``junit.xml``, ``report.html``, signed
  manifest; the exit status is 0 only if the run passes (gating requirements, waivers).
"""

from __future__ import annotations

import datetime as dt
import random
import re
import secrets
import sys
from pathlib import Path
from typing import Any

import pytest

from ehc.errors import EhcError
from ehc.gm import sm3

from .catalogue import default_catalogue, load_catalogue
from .declaration import applicability, default_declaration, load_declaration
from .masking import mask_text
from .profiles import load_profile
from .results import NOT_TESTED, RunResult, TestRecord, evaluate
from .transcript import Transcript, TranscriptHolder
from .waivers import load_waivers

HYPOTHESIS_DB = "hypothesis-db"
CERTIFICATION_SEED = 0


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("ehc", "electronic health card conformance")
    g.addoption("--ehc-role", help="role under test: codec, card, psam, terminal, node, his")
    g.addoption("--ehc-dut", default="reference", help="DUT adapter spec (see docs/certification.md)")
    g.addoption("--ehc-profile", default="national", help="conformance profile name")
    g.addoption("--ehc-declaration", default=None, help="vendor declaration (ICS) TOML file")
    g.addoption("--ehc-waivers", default=None, help="expected-failure (waiver) TOML file")
    g.addoption("--ehc-out", default=None, help="output directory for the report files")
    g.addoption("--ehc-certification", action="store_true", help="derandomised certification run")
    g.addoption("--ehc-seed", type=int, default=None, help="Hypothesis seed (development runs)")
    g.addoption("--ehc-max-examples", type=int, default=None, help="Hypothesis examples per property")
    g.addoption("--ehc-lab-key", default=None, help="lab SM2 private key (PEM) to sign the report")
    g.addoption("--ehc-replay", default=None, help="report directory whose seed and examples to replay")
    g.addoption("--ehc-today", default=None, help="date for waiver expiry (YYYY-MM-DD; default today)")
    g.addoption("--ehc-catalogue", default=None, help="alternative requirements directory")
    g.addoption("--ehc-quiet", action="store_true", help="no per-test progress lines")
    g.addoption(
        "--ehc-no-shrink",
        action="store_true",
        help="report a failing example as found, without shrinking it (self-test: same verdict, faster)",
    )


class ConformanceRun:
    """State of one conformance run, shared by the hooks and fixtures below."""

    def __init__(self, config: pytest.Config) -> None:
        opt = config.getoption
        self.config = config
        self.role: str = opt("--ehc-role")
        self.dut_spec: str = opt("--ehc-dut")
        self.catalogue = (
            load_catalogue(opt("--ehc-catalogue")) if opt("--ehc-catalogue") else default_catalogue()
        )
        self.profile = load_profile(opt("--ehc-profile"), self.catalogue)
        decl_path = opt("--ehc-declaration")
        self.declaration = (
            load_declaration(decl_path, self.catalogue)
            if decl_path
            else default_declaration(self.role, self.dut_spec)
        )
        waiver_path = opt("--ehc-waivers")
        self.waivers = load_waivers(waiver_path, self.catalogue) if waiver_path else []
        self.waiver_file = Path(waiver_path).name if waiver_path else None
        self.out = Path(opt("--ehc-out")) if opt("--ehc-out") else None
        self.certification: bool = opt("--ehc-certification")
        today = opt("--ehc-today")
        self.today = dt.date.fromisoformat(today) if today else dt.date.today()
        self.max_examples: int = opt("--ehc-max-examples") or (200 if self.certification else 50)
        self.lab_key = opt("--ehc-lab-key")
        self.replay = Path(opt("--ehc-replay")) if opt("--ehc-replay") else None
        self.seed: int | None = opt("--ehc-seed")
        # Fresh identifiers (suites/node/helpers.py) come from seed + nonce: a new nonce per run
        # (certifying the same node twice), the replayed report's nonce with --ehc-replay.
        self.nonce: str = (_replay_nonce(self.replay) if self.replay else None) or secrets.token_hex(8)
        self.records: dict[str, TestRecord] = {}  # tests that ran (or were skipped), by node id
        self.pending: dict[str, TestRecord] = {}  # collected; moved to records when they run
        self.holder = TranscriptHolder()
        self.started = dt.datetime.now(dt.UTC)
        self.finished: dt.datetime | None = None
        self.result: RunResult | None = None
        self.adapter: Any = None
        self.adapter_info: dict[str, Any] = {}
        self.collection_problems: list[str] = []

    # -------------------------------------------------------------- hypothesis
    def configure_hypothesis(self) -> dict[str, Any]:
        from hypothesis import HealthCheck, settings
        from hypothesis.database import DirectoryBasedExampleDatabase

        common: dict[str, Any] = dict(
            max_examples=self.max_examples,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
            print_blob=True,
        )
        if self.config.getoption("--ehc-no-shrink"):
            # The self-test needs only which requirements fail, not the smallest example: shrinking
            # (and the explain phase after it) re-runs a failing property tens of times against the
            # mutant, most of a mutant's run time. A failure found still fails the test.
            from hypothesis import Phase

            common["phases"] = (Phase.explicit, Phase.reuse, Phase.generate, Phase.target)
        self._previous_profile = settings._current_profile
        # A run embedded in another pytest session (e.g. the kit's own tests run with
        # --hypothesis-seed) must not inherit that session's forced seed: it would override the
        # seed this run records and switch the example database off.
        from hypothesis import core

        self._outer_force_seed = getattr(core, "global_force_seed", None)
        if hasattr(core, "global_force_seed"):
            core.global_force_seed = None
        if self.certification:
            # Fixed seed + derandomize: the same examples on every run of the same kit release.
            self.seed = CERTIFICATION_SEED
            settings.register_profile("ehc-run", derandomize=True, database=None, **common)
            info = {"mode": "certification", "derandomize": True, "seed": self.seed}
        else:
            if self.seed is None and self.replay is not None:
                self.seed = _replay_seed(self.replay)
            if self.seed is None:
                self.seed = random.SystemRandom().randrange(2**32)
            db = None
            if self.out is not None:
                db_dir = self.out / HYPOTHESIS_DB
                if self.replay is not None and (self.replay / HYPOTHESIS_DB).is_dir():
                    _copy_tree(self.replay / HYPOTHESIS_DB, db_dir)
                db = DirectoryBasedExampleDatabase(str(db_dir))
            settings.register_profile("ehc-run", derandomize=False, database=db, **common)
            _seed_global_random(self.seed)
            info = {"mode": "development", "derandomize": False, "seed": self.seed}
        settings.load_profile("ehc-run")
        info["max_examples"] = self.max_examples
        info["nonce"] = self.nonce
        info["database"] = HYPOTHESIS_DB if (not self.certification and self.out is not None) else None
        info["replayed_from"] = str(self.replay) if self.replay else None
        self.hypothesis_info = info
        return info

    def restore_hypothesis(self) -> None:
        from hypothesis import settings

        prev = getattr(self, "_previous_profile", None)
        if prev is not None:
            settings.load_profile(prev)
        from hypothesis import core

        if hasattr(core, "global_force_seed"):
            core.global_force_seed = getattr(self, "_outer_force_seed", None)

    def test_seed(self, nodeid: str) -> int:
        """Per-test seed derived from the run seed, so adding a test does not move the others."""
        function_id = nodeid.split("[", 1)[0]  # parametrised variants share one function object
        return int.from_bytes(sm3(f"{self.seed}:{function_id}".encode())[:4], "big")


def _seed_global_random(seed: int) -> None:
    """Seed the generator Hypothesis draws each test's random seed from.

    Unlike ``@seed`` this keeps the example database on, so failures are saved and replayed.
    It sets a Hypothesis internal (``core.threadlocal``); if that ever moves, runs stay valid
    but are no longer reproducible by seed alone (the database still replays failures).
    """
    from random import Random

    from hypothesis import core

    local = getattr(core, "threadlocal", None)
    if local is not None and hasattr(local, "_hypothesis_global_random"):
        local._hypothesis_global_random = Random(seed)


def _replay_hypothesis(directory: Path) -> dict[str, Any]:
    import json

    try:
        report = json.loads((directory / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    info = report.get("hypothesis") if isinstance(report, dict) else None
    return info if isinstance(info, dict) else {}


def _replay_seed(directory: Path) -> int | None:
    seed = _replay_hypothesis(directory).get("seed")
    return seed if isinstance(seed, int) else None


def _replay_nonce(directory: Path) -> str | None:
    nonce = _replay_hypothesis(directory).get("nonce")
    return nonce if isinstance(nonce, str) and re.fullmatch(r"[0-9a-f]{1,64}", nonce) else None


def _copy_tree(src: Path, dst: Path) -> None:
    import shutil

    shutil.copytree(src, dst, dirs_exist_ok=True)


RUN_KEY = pytest.StashKey[ConformanceRun]()


def get_run(config: pytest.Config) -> ConformanceRun | None:
    return config.stash.get(RUN_KEY, None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "requirement(*ids): catalogue requirement ids this test verifies")
    if not config.getoption("--ehc-role", default=None):
        return  # loaded but not asked to run a conformance session (e.g. collect-only coverage)
    try:
        run = ConformanceRun(config)
    except EhcError as exc:
        raise pytest.UsageError(f"{exc.code.name}: {exc.message}") from None
    config.stash[RUN_KEY] = run
    info = run.configure_hypothesis()
    seed_text = (
        f"seed={info['seed']} derandomize=True (certification)"
        if info["derandomize"]
        else f"seed={info['seed']}"
    )
    _say(
        config,
        f"ehc certify: role={run.role} profile={run.profile.name} dut={run.dut_spec} hypothesis {seed_text}",
    )


def pytest_unconfigure(config: pytest.Config) -> None:
    run = get_run(config)
    if run is not None:
        run.restore_hypothesis()
        if run.adapter is not None and hasattr(run.adapter, "close"):
            try:
                run.adapter.close()
            except Exception:  # noqa: BLE001 - closing a broken DUT must not hide the report
                pass


def requirement_ids(item: pytest.Item) -> list[str]:
    ids: list[str] = []
    for mark in item.iter_markers("requirement"):
        ids.extend(str(a) for a in mark.args)
    return list(dict.fromkeys(ids))


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    run = get_run(config)
    catalogue = run.catalogue if run else default_catalogue()
    problems = []
    for item in items:
        ids = requirement_ids(item)
        unknown = [i for i in ids if i not in catalogue]
        if unknown:
            problems.append(f"{item.nodeid}: unknown requirement id(s) {', '.join(unknown)}")
        elif not ids and (run is not None or "conformance_tests/suites/" in item.nodeid):
            problems.append(f"{item.nodeid}: no @pytest.mark.requirement(...)")
    if problems:
        raise pytest.UsageError("requirement markers:\n  " + "\n  ".join(problems))
    if run is None:
        return
    for item in items:
        ids = requirement_ids(item)
        apps = {i: applicability(catalogue[i], run.role, run.profile, run.declaration) for i in ids}
        run.pending[item.nodeid] = TestRecord(item.nodeid, item.name, ids)
        if not any(a.applicable and not a.out_of_scope for a in apps.values()):
            reasons = "; ".join(f"{i}: {a.reason}" for i, a in apps.items())
            item.add_marker(pytest.mark.skip(reason=f"not applicable: {reasons}"))
        elif run.certification:
            _seed_hypothesis_test(item, run.test_seed(item.nodeid))


def _seed_hypothesis_test(item: pytest.Item, seed: int) -> None:
    """Pin the test's Hypothesis seed (public ``@seed``); stateful suites use the ``hypothesis_seed`` fixture."""
    func = getattr(item, "obj", None)
    if func is None:
        return
    if getattr(func, "is_hypothesis_test", False):
        from hypothesis import seed as hypothesis_seed

        hypothesis_seed(seed)(getattr(func, "__func__", func))
    item.stash[SEED_KEY] = seed


SEED_KEY = pytest.StashKey[int]()


@pytest.fixture
def hypothesis_seed(request: pytest.FixtureRequest) -> int:
    """The seed of this test, for suites that drive Hypothesis themselves (stateful machines)."""
    return request.node.stash.get(SEED_KEY, CERTIFICATION_SEED)


@pytest.fixture(scope="session")
def run_context(request: pytest.FixtureRequest) -> ConformanceRun:
    run = get_run(request.config)
    if run is None:
        pytest.skip("not a conformance run: pass --ehc-role (use `ehc certify`)")
    return run


@pytest.fixture(scope="session")
def profile(run_context: ConformanceRun):
    return run_context.profile


@pytest.fixture(scope="session")
def dut(run_context: ConformanceRun) -> Any:
    """The device under test, through the adapter named by ``--ehc-dut``."""
    from .adapters import make_adapter

    if run_context.adapter is None:
        try:
            run_context.adapter = make_adapter(run_context.role, run_context.dut_spec, run_context)
        except EhcError as exc:
            pytest.fail(f"{exc.code.name}: {exc.message}", pytrace=False)
        run_context.adapter_info = getattr(run_context.adapter, "info", lambda: {})()
    return run_context.adapter


@pytest.fixture
def transcript(request: pytest.FixtureRequest) -> Transcript:
    run = get_run(request.config)
    return run.holder.current if run else Transcript()


@pytest.fixture(autouse=True)
def _ehc_switch_transcript(request: pytest.FixtureRequest):
    run = get_run(request.config)
    if run is None:
        yield
        return
    run.holder.current = Transcript()
    yield
    record = run.records.get(request.node.nodeid)
    if record is not None:
        record.transcript = run.holder.current.to_list()


_FALSIFYING = re.compile(r"^(Falsifying example:.*?)(?:\nExplanation:|\nYou can reproduce|\Z)", re.S | re.M)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    run = get_run(item.config)
    if run is None:
        return
    record = run.records.get(item.nodeid)
    if record is None:
        record = run.pending.pop(item.nodeid, None)
        if record is None:
            return
        run.records[item.nodeid] = record
    record.duration += report.duration
    if report.when == "call" or report.outcome != "passed":
        if report.skipped:
            record.outcome = "skipped"
            longrepr = report.longrepr
            record.message = mask_text(str(longrepr[2] if isinstance(longrepr, tuple) else longrepr))
        elif report.failed:
            record.outcome = "failed" if report.when == "call" else "error"
            text = report.longreprtext or ""
            report.longrepr = mask_text(text)  # the console and JUnit see masked identifiers too
            record.message = mask_text(_short_failure(text))
            found = _FALSIFYING.search(record.message)
            if found:
                record.hypothesis["falsifying_example"] = found.group(1)[:2000]
        elif report.when == "call":
            record.outcome = "passed"
    func = getattr(item, "obj", None)
    if report.when == "call" and getattr(func, "is_hypothesis_test", False):
        generated = getattr(func, "_hypothesis_internal_use_generated_seed", None)
        record.hypothesis["seed"] = run.test_seed(item.nodeid) if run.certification else generated


def _short_failure(text: str) -> str:
    """The lines an evaluator needs: the assertion / error lines, not the whole traceback."""
    lines = [ln for ln in text.splitlines() if ln.startswith(("E ", "E\t")) or "Error" in ln[:40]]
    picked = [ln[1:].strip() if ln.startswith("E") else ln.strip() for ln in lines] or text.splitlines()[-3:]
    return "\n".join(picked)[:1500]


@pytest.hookimpl(hookwrapper=True)
def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config):
    """No progress dots during a conformance run: the plugin prints one line per test instead."""
    outcome = yield
    if get_run(config) is not None:
        category, _letter, word = outcome.get_result()
        outcome.force_result((category, "", word))


@pytest.hookimpl(trylast=True)
def pytest_runtest_logfinish(nodeid: str, location: tuple) -> None:
    run = _ACTIVE.get("run")
    if run is None or run.config.getoption("--ehc-quiet"):
        return
    record = run.records.get(nodeid)
    if record is None:
        return
    label = {"passed": "PASS", "failed": "FAIL", "error": "ERROR", "skipped": "N/A "}.get(
        record.outcome, "??? "
    )
    if record.outcome == "skipped" and "not applicable" not in record.message[:40]:
        label = "SKIP"
    _say(run.config, f"  {label}  {record.name:<60} {', '.join(record.requirements)}")


_ACTIVE: dict[str, ConformanceRun] = {}


def current_run() -> ConformanceRun | None:
    """The conformance run in progress (suite helpers derive fresh identifiers from it)."""
    return _ACTIVE.get("run")


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    run = get_run(session.config)
    if run is not None:
        _ACTIVE["run"] = run


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = get_run(session.config)
    _ACTIVE.pop("run", None)
    if run is None:
        return
    run.finished = dt.datetime.now(dt.UTC)
    if exitstatus in (
        pytest.ExitCode.USAGE_ERROR,
        pytest.ExitCode.INTERRUPTED,
        pytest.ExitCode.INTERNAL_ERROR,
    ):
        return
    result = run.result = evaluate(
        run.catalogue,
        run.role,
        run.profile,
        run.declaration,
        list(run.records.values()),
        run.waivers,
        run.today,
    )
    if run.out is not None:
        from .reports import write_reports

        write_reports(run)
    counts = result.counts()
    verdict = "PASS" if result.passed else "FAIL"
    summary = ", ".join(f"{k} {v}" for k, v in counts.items())
    _say(session.config, f"ehc certify: {verdict} — requirements: {summary}")
    # a PASS covers what was tested: name each applicable requirement it does not cover, and say
    # when one is a must (the evaluator assesses it; docs/certification.md "What a PASS does not cover")
    for r in result.requirements:
        if r.verdict == NOT_TESTED:
            level = run.catalogue[r.id].level
            who = "gating" if r.gating else "not gating, the evaluator assesses it"
            _say(session.config, f"  not tested: {r.id} ({level}, {who}): {r.reason or 'no test ran'}")
    for problem in result.waiver_problems:
        _say(
            session.config,
            f"  waiver {problem.problem}: {problem.waiver.requirement} ({problem.waiver.reason})",
        )
    if run.out is not None:
        _say(session.config, f"ehc certify: report in {run.out}")
    session.exitstatus = pytest.ExitCode.OK if result.passed else pytest.ExitCode.TESTS_FAILED


def _say(config: pytest.Config, line: str) -> None:
    if config.getoption("--ehc-quiet", default=False) and not line.startswith("ehc certify: FAIL"):
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(line)
    else:
        print(line, file=sys.stderr)
