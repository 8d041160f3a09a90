"""Self-test: every suite must pass its reference implementation and fail every mutant."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .mutants import MUTANT_MODULES, mutant_objects, mutants_of
from .runner import RunOptions, run_with_result, suite_paths
from .toolhash import kit_identity

SELFTEST_WAIVERS = Path(__file__).with_name("selftest_waivers.toml")

#: Roles whose runs take well under a second: queued last when runs are shared out (--jobs), so
#: that no long run is left alone at the end.
_QUICK_ROLES = ("codec", "card", "psam")


def _waivers_for(role: str) -> str | None:
    """The self-test waiver file, if it has entries for requirements of ``role``."""
    from .catalogue import default_catalogue
    from .waivers import load_waivers

    catalogue = default_catalogue()
    entries = load_waivers(SELFTEST_WAIVERS, catalogue)
    return str(SELFTEST_WAIVERS) if any(role in catalogue[w.requirement].roles for w in entries) else None


def _failed_requirements(conformance_run: Any) -> list[str]:
    if conformance_run is None or conformance_run.result is None:
        return []
    return [r.id for r in conformance_run.result.requirements if r.verdict == "fail"]


class _StopWhenCaught:
    """Ends a mutant's run (like ``pytest -x``) once a requirement of its class has FAILED: the
    verdict cannot change after that (a failed requirement stays failed whatever runs later; a
    mutant not caught still runs the whole suite). Judged by the run's own roll-up
    (results.evaluate: applicability and waivers included), not by test names."""

    def __init__(self, catches: tuple[str, ...]) -> None:
        self.catches = set(catches)
        self.session: pytest.Session | None = None
        self.stopped_by: list[str] = []

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.session = session

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not report.failed or self.session is None or self.stopped_by or not self.catches:
            return
        from .plugin import get_run
        from .results import evaluate

        run = get_run(self.session.config)
        if run is None:
            return
        result = evaluate(
            run.catalogue, run.role, run.profile, run.declaration, list(run.records.values()),
            run.waivers, run.today,
        )  # fmt: skip
        self.stopped_by = sorted(self.catches & {r.id for r in result.requirements if r.verdict == "fail"})
        if self.stopped_by:
            # shouldfail, not shouldstop: the session ends as "tests failed" and is still evaluated
            self.session.shouldfail = f"self-test: {', '.join(self.stopped_by)} failed"


def _run(
    role: str, dut: str, profile: str, max_examples: int, catches: tuple[str, ...] | None = None
) -> tuple[int, Any]:
    """One run of ``role``'s suites. A mutant's run (``catches`` not None) writes no report (only its
    verdicts are read) and stops once one of ``catches`` has failed; a reference run is complete
    and writes its report as a certification run does."""
    with tempfile.TemporaryDirectory(prefix=f"ehc-selftest-{role}-") as tmp:
        return run_with_result(
            RunOptions(
                role=role,
                dut=dut,
                profile=profile,
                out=None if catches is not None else f"{tmp}/report",
                certification=True,
                max_examples=max_examples,
                quiet=True,
                shrink=False,  # only which requirements fail matters here, not minimal examples
                extra=["--tb=no"],  # a mutant's failures are expected: the verdict line says which
                waivers=_waivers_for(role),
            ),
            plugins=[_StopWhenCaught(catches)] if catches is not None else [],
        )


@dataclass(frozen=True)
class _Job:
    """One suite run of the self-test: the reference under a profile (and API), or one mutant."""

    role: str
    dut: str
    profile: str
    key: str  # reference: its key in the role's report ("national", "zibo+tencent"); mutant: name
    catches: tuple[str, ...] | None = None  # None: a reference run


def _do(job: _Job, max_examples: int) -> tuple[int, list[str], float]:
    """(exit code, failed requirements, seconds) of one run (a worker process's unit of work)."""
    t0 = time.perf_counter()
    code, run = _run(job.role, job.dut, job.profile, max_examples, job.catches)
    return code, _failed_requirements(run), time.perf_counter() - t0


def _jobs_of(role: str) -> list[_Job]:
    """A role's runs: its reference under every profile and interface its mutants need, then each
    mutant."""
    reference_spec = MUTANT_MODULES.get(role, ("", "reference"))[1]
    mutants = mutants_of(role)
    profiles = sorted({"national", *(m.profile for m in mutants.values())})
    # a mutant with ``api`` (e.g. "tencent") is run with the kit speaking that envelope: the
    # reference must pass in that mode too, under the mutant's profile
    apis = {n: getattr(m, "api", "") or "" for n, m in mutant_objects(role).items()}
    runs = [(p, "") for p in profiles]
    runs += sorted({(m.profile, apis[n]) for n, m in mutants.items() if apis.get(n)})
    jobs = [
        _Job(role, f"api:{api};{reference_spec}" if api else reference_spec, p, f"{p}+{api}" if api else p)
        for p, api in runs
    ]
    return jobs + [_Job(role, f"mutant:{n}", m.profile, n, tuple(m.catches)) for n, m in mutants.items()]


def selftest(
    roles: list[str] | None = None,
    max_examples: int = 25,
    echo: Callable[[str], None] | None = print,
    jobs: int = 1,
) -> dict[str, Any]:
    """Self-test ``roles`` (default: every role with a suite); ``jobs`` > 1 shares the runs (each
    reference and each mutant is one) among that many fresh interpreters; a role's lines are
    printed together when its last run ends."""
    say = echo or (lambda _line: None)
    ident = kit_identity()
    say(f"kit {ident['name']} {ident['version']} source SM3 {ident['source_sm3']}")
    roles = roles or [r for r in MUTANT_MODULES if suite_paths(r)]
    out: dict[str, Any] = {"kit": ident, "roles": {}, "ok": True}
    plan = {role: _jobs_of(role) for role in roles}
    infos = {role: mutants_of(role) for role in roles}
    results: dict[str, tuple[dict[str, Any], int, int]] = {}
    all_jobs = [job for role in roles for job in plan[role]]
    if jobs > 1 and len(all_jobs) > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        # long roles first, quick ones last (their order in the report does not change)
        queue = sorted(all_jobs, key=lambda j: j.role in _QUICK_ROLES)
        done: dict[_Job, tuple[int, list[str], float]] = {}
        left = {role: len(plan[role]) for role in roles}
        spawn = multiprocessing.get_context("spawn")  # no fork of a process with gRPC threads
        with ProcessPoolExecutor(max_workers=jobs, mp_context=spawn) as pool:
            futures = {pool.submit(_do, job, max_examples): job for job in queue}
            for future in as_completed(futures):
                job = futures[future]
                done[job] = future.result()
                left[job.role] -= 1
                if not left[job.role]:
                    results[job.role] = _report_role(job.role, plan[job.role], infos[job.role], done, say)
    else:
        for role in roles:
            results[role] = _report_role(role, plan[role], infos[role], None, say, max_examples)
    killed_total = mutants_total = 0
    for role in roles:
        role_out, killed, total = results[role]
        killed_total += killed
        mutants_total += total
        out["roles"][role] = role_out
        out["ok"] = out["ok"] and role_out["reference"]["passed"] and killed == total
    out["mutation_score"] = killed_total / mutants_total if mutants_total else None
    say(
        f"selftest: {'OK' if out['ok'] else 'FAILED'} ({killed_total}/{mutants_total} mutants killed by their class)"
    )
    return out


def _report_role(
    role: str,
    role_jobs: list[_Job],
    infos: dict[str, Any],
    done: dict[_Job, tuple[int, list[str], float]] | None,
    say: Callable[[str], None],
    max_examples: int = 25,
) -> tuple[dict[str, Any], int, int]:
    """A role's verdicts and lines, from the runs in ``done`` (None: run each here, in turn)."""
    role_out: dict[str, Any] = {"reference": {}, "mutants": {}}
    ref_ok = True
    killed = total = 0
    for job in role_jobs:
        code, failed, seconds = done[job] if done is not None else _do(job, max_examples)
        if job.catches is None:  # the reference must pass under every profile a mutant is run in
            passed = code == 0
            ref_ok = ref_ok and passed
            role_out["reference"][job.key] = {"passed": passed, "exit": code}
            say(
                f"{role}: reference {job.dut} [{job.profile}]: {'PASS' if passed else 'FAIL'} ({seconds:.1f} s)"
            )
            if not passed:
                say(f"  reference failures: {', '.join(failed) or f'exit {code}'}")
            continue
        total += 1
        mutant = infos[job.key]
        by = sorted(set(failed) & set(mutant.catches))
        # Killed only by a requirement of its defect class: a mutant that fails some other
        # requirement was caught by accident, and the suite for its class is not proven.
        caught = code in (0, 1) and bool(by)
        killed += caught
        role_out["mutants"][job.key] = {
            "description": mutant.description,
            "profile": mutant.profile,
            "defect_class": mutant.defect_class,
            "catches": list(mutant.catches),
            "killed": caught,
            "caught_by": by,
            # a killed mutant's run stops at the first failure of its class: the requirements
            # that failed up to then (a mutant not killed ran its whole suite)
            "failed_requirements": failed,
        }
        if caught:
            verdict = f"KILLED by {', '.join(by)}"
        elif not mutant.catches:
            verdict = "MISS (the mutant names no requirement that must catch it)"
        elif failed:
            verdict = f"MISS (failed {', '.join(failed[:6])}, none of {', '.join(mutant.catches)})"
        else:
            verdict = f"SURVIVED (exit {code}; expected {', '.join(mutant.catches)})"
        say(f"  mutant {job.key:<28} {verdict}")
    role_out["reference"]["passed"] = ref_ok
    score = killed / total if total else None
    role_out["mutation_score"] = score
    if score is not None:
        say(f"{role}: mutation score {killed}/{total} = {100 * score:.0f} %")
    return role_out, killed, total
