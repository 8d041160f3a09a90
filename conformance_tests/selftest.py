"""Self-test: every suite must pass its reference implementation and fail every mutant."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .mutants import MUTANT_MODULES, mutant_objects, mutants_of
from .runner import RunOptions, run_with_result, suite_paths
from .toolhash import kit_identity

SELFTEST_WAIVERS = Path(__file__).with_name("selftest_waivers.toml")


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


def _run(role: str, dut: str, profile: str, max_examples: int) -> tuple[int, Any]:
    with tempfile.TemporaryDirectory(prefix=f"ehc-selftest-{role}-") as tmp:
        return run_with_result(
            RunOptions(
                role=role,
                dut=dut,
                profile=profile,
                out=f"{tmp}/report",
                certification=True,
                max_examples=max_examples,
                quiet=True,
                extra=["--tb=no"],  # a mutant's failures are expected: the verdict line says which
                waivers=_waivers_for(role),
            )
        )


def selftest(
    roles: list[str] | None = None,
    max_examples: int = 25,
    echo: Callable[[str], None] | None = print,
    jobs: int = 1,
) -> dict[str, Any]:
    """Self-test ``roles`` (default: every role with a suite); ``jobs`` > 1 runs that many roles at
    once, each in a fresh interpreter (the lines of a role are printed together when it ends)."""
    say = echo or (lambda _line: None)
    ident = kit_identity()
    say(f"kit {ident['name']} {ident['version']} source SM3 {ident['source_sm3']}")
    roles = roles or [r for r in MUTANT_MODULES if suite_paths(r)]
    out: dict[str, Any] = {"kit": ident, "roles": {}, "ok": True}
    results: dict[str, tuple[dict[str, Any], int, int]] = {}
    if jobs > 1 and len(roles) > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        spawn = multiprocessing.get_context("spawn")  # no fork of a process with gRPC threads
        with ProcessPoolExecutor(max_workers=jobs, mp_context=spawn) as pool:
            futures = {pool.submit(_role_quietly, role, max_examples): role for role in roles}
            for future in as_completed(futures):
                role_out, killed, total, lines = future.result()
                for line in lines:
                    say(line)
                results[futures[future]] = (role_out, killed, total)
    else:
        for role in roles:
            role_out, killed, total = _role(role, max_examples, say)
            results[role] = (role_out, killed, total)
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


def _role_quietly(role: str, max_examples: int) -> tuple[dict[str, Any], int, int, list[str]]:
    lines: list[str] = []
    role_out, killed, total = _role(role, max_examples, lines.append)
    return role_out, killed, total, lines


def _role(role: str, max_examples: int, say: Callable[[str], None]) -> tuple[dict[str, Any], int, int]:
    """One role: its reference under every profile and interface its mutants need, then each mutant."""
    reference_spec = MUTANT_MODULES.get(role, ("", "reference"))[1]
    mutants = mutants_of(role)
    profiles = sorted({"national", *(m.profile for m in mutants.values())})
    # a mutant with ``api`` (e.g. "tencent") is run with the kit speaking that envelope: the
    # reference must pass in that mode too, under the mutant's profile
    apis = {n: getattr(m, "api", "") or "" for n, m in mutant_objects(role).items()}
    runs = [(p, "") for p in profiles]
    runs += sorted({(m.profile, apis[n]) for n, m in mutants.items() if apis.get(n)})
    role_out: dict[str, Any] = {"reference": {}, "mutants": {}}
    ref_ok = True
    for profile, api in runs:  # the reference must pass under every profile a mutant is run in
        t0 = time.perf_counter()
        spec = f"api:{api};{reference_spec}" if api else reference_spec
        code, ref_run = _run(role, spec, profile, max_examples)
        passed = code == 0
        ref_ok = ref_ok and passed
        role_out["reference"][f"{profile}+{api}" if api else profile] = {"passed": passed, "exit": code}
        say(
            f"{role}: reference {spec} [{profile}]: {'PASS' if passed else 'FAIL'} "
            f"({time.perf_counter() - t0:.1f} s)"
        )
        if not passed:
            say(f"  reference failures: {', '.join(_failed_requirements(ref_run)) or f'exit {code}'}")
    role_out["reference"]["passed"] = ref_ok
    killed = 0
    for name, mutant in mutants.items():
        code, mrun = _run(role, f"mutant:{name}", mutant.profile, max_examples)
        failed = _failed_requirements(mrun)
        by = sorted(set(failed) & set(mutant.catches))
        # Killed only by a requirement of its defect class: a mutant that fails some other
        # requirement was caught by accident, and the suite for its class is not proven.
        caught = code in (0, 1) and bool(by)
        killed += caught
        role_out["mutants"][name] = {
            "description": mutant.description,
            "profile": mutant.profile,
            "defect_class": mutant.defect_class,
            "catches": list(mutant.catches),
            "killed": caught,
            "caught_by": by,
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
        say(f"  mutant {name:<28} {verdict}")
    score = killed / len(mutants) if mutants else None
    role_out["mutation_score"] = score
    if score is not None:
        say(f"{role}: mutation score {killed}/{len(mutants)} = {100 * score:.0f} %")
    return role_out, killed, len(mutants)
