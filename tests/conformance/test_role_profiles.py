"""Every role's reference certifies under every profile (task S12).

A requirement that applies to a role under a profile but has no test in that role's suites makes
the run FAIL as ``not-tested`` (NODE-REG-007 had a node test, so ``ehc certify coverage`` was
content, but no terminal test: the terminal failed under zibo). So:

* ``test_every_applicable_requirement_has_a_test_in_the_roles_own_suites`` — per role and
  profile, not per requirement: collected, not run (seconds).
* ``test_every_profile_variant_of_a_role_is_certified_in_ci`` — profiles that give a role another
  set of requirements, another medium list or other values of the parameters its suites read are
  each certified somewhere in CI: by the self-test (the reference under every profile a mutant
  names), by test_profile_differences.py (the node under four profiles) or by a run here.
* ``test_reference_passes`` runs the reference where no other CI run does (in process, about 1 s
  per envelope run, 5 s per terminal run).
* a terminal without the optional kiosk operation: FAIL with the reason, or not applicable when
  its declaration relaxes NODE-REG-007.
"""

from __future__ import annotations

import json
import re
import shlex
import sys
from pathlib import Path

import pytest

from conformance_tests.catalogue import load_catalogue
from conformance_tests.coverage import collect_suites
from conformance_tests.declaration import applicability, default_declaration
from conformance_tests.mutants import mutants_of
from conformance_tests.profiles import available_profiles, load_profile
from conformance_tests.runner import ROLE_SUITES, SUITES_DIR, RunOptions, run_with_result

#: the node's reference under these profiles: tests/conformance/test_profile_differences.py
NODE_PROFILE_RUNS = {"shandong-jining", "zibo", "hunan-hengyang", "sichuan"}
#: runs of this file: a profile variant no other CI run certifies (see the guard below)
RUNS = (
    ("terminal", "shandong-jining"),
    ("terminal", "hunan-hengyang"),  # and sichuan: the same requirements, media and parameters
    # the envelope suites name the profile's city in their requests (sichuan's variant = national's)
    *(
        (role, p)
        for role in ("node-tencent", "node-qinghai", "node-sichuan")
        for p in ("shandong-jining", "zibo", "hunan-hengyang")
    ),
)


def _suite_source(role: str) -> str:
    return "".join(
        p.read_text(encoding="utf-8") for d in ROLE_SUITES[role] for p in (SUITES_DIR / d).rglob("*.py")
    )


def _variant(role: str, profile_name: str, catalogue) -> tuple:
    """What a profile changes for a role's suites: the requirements that apply and are in scope, the
    values of the parameters the suites read, and the media when the suites look at them."""
    profile = load_profile(profile_name, catalogue)
    decl = default_declaration(role)
    ids = frozenset(
        r.id for r in catalogue if applicability(r, role, profile, decl).applicable and not r.out_of_scope
    )
    source = _suite_source(role)
    keys = sorted(set(re.findall(r'param\("([a-z_.]+)"', source)))
    values = tuple((k, repr(profile.param(k))) for k in keys)
    media = tuple(sorted(profile.media)) if "profile.media" in source else ()
    return ids, values, media


def test_every_applicable_requirement_has_a_test_in_the_roles_own_suites():
    catalogue = load_catalogue()
    collector = collect_suites()
    assert not collector.errors, collector.errors
    tested: dict[str, set[str]] = {}
    for nodeid, ids in collector.items:
        folder = nodeid.removeprefix("conformance_tests/suites/").split("/", 1)[0]
        tested.setdefault(folder, set()).update(ids)
    gaps = []
    for role, folders in ROLE_SUITES.items():
        own = set().union(*(tested.get(f, set()) for f in folders))
        for name in available_profiles():
            profile = load_profile(name, catalogue)
            decl = default_declaration(role)
            missing = [
                r.id
                for r in catalogue
                if applicability(r, role, profile, decl).applicable and not r.out_of_scope and r.id not in own
            ]
            if missing:
                gaps.append(f"{role} under {name}: {', '.join(sorted(missing))}")
    assert not gaps, "applicable requirements without a test in the role's own suites: " + "; ".join(gaps)


def test_every_profile_variant_of_a_role_is_certified_in_ci():
    catalogue = load_catalogue()
    certified = {
        (role, p)
        for role in ROLE_SUITES
        for p in {"national", *(m.profile for m in mutants_of(role).values())}
    }
    certified |= {("node", p) for p in NODE_PROFILE_RUNS} | set(RUNS)
    uncovered = []
    for role in ROLE_SUITES:
        variants = {name: _variant(role, name, catalogue) for name in available_profiles()}
        done = {variants[p] for r, p in certified if r == role}
        uncovered += [f"{role} under {name}" for name, v in variants.items() if v not in done]
    assert not uncovered, (
        "profile variants no CI run certifies (add them to RUNS, or a mutant under that profile): "
        + ", ".join(uncovered)
    )


@pytest.mark.parametrize(("role", "profile"), RUNS)
def test_reference_passes(tmp_path, role, profile):
    out = tmp_path / "report"
    code, _ = run_with_result(
        RunOptions(role=role, profile=profile, out=str(out), max_examples=3, quiet=True)
    )
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    bad = [
        f"{r['id']} {r['verdict']}"
        for r in report["requirements"]
        if r["gating"] and r["verdict"] not in ("pass", "waived")
    ]
    assert (code, report["verdict"]) == (0, "pass"), bad
    assert report["summary"]["tests"]["passed"] > 0
    assert report["profile"]["name"] == profile


# ------------------------------------------------------------------ a terminal that is not a kiosk
_WITHOUT_KIOSK = """
from conformance_tests.drivers import reference_terminal as rt
rt._OPS.discard("apply_with_id_card")  # a terminal built before the kiosk operation
rt.main()
"""


def _kiosk_run(tmp_path: Path, declaration: str | None) -> dict:
    script = tmp_path / "driver_without_kiosk.py"
    script.write_text(_WITHOUT_KIOSK, encoding="utf-8")
    ics = None
    if declaration is not None:
        ics = tmp_path / "ics.toml"
        ics.write_text(declaration, encoding="utf-8")
    out = tmp_path / "report"
    run_with_result(
        RunOptions(
            role="terminal",
            dut=f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}",
            profile="zibo",
            declaration=None if ics is None else str(ics),
            out=str(out),
            select="kiosk",
            quiet=True,
        )
    )
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


def _row(report: dict, rid: str) -> dict:
    return next(r for r in report["requirements"] if r["id"] == rid)


def test_a_terminal_without_the_kiosk_operation_fails_node_reg_007_with_the_reason(tmp_path):
    report = _kiosk_run(tmp_path, None)
    row = _row(report, "NODE-REG-007")
    assert (row["verdict"], row["gating"]) == ("fail", True)
    messages = " ".join(t["message"] for t in report["tests"] if "kiosk" in t["nodeid"])
    assert "UNKNOWN_OP" in messages and "[not_claimed]" in messages


def test_a_terminal_declaring_no_kiosk_makes_node_reg_007_not_applicable(tmp_path):
    reason = "a counter reader: card applications are taken at the city's kiosks"
    report = _kiosk_run(
        tmp_path,
        f'[dut]\nname = "Counter reader"\n\n[claims]\nroles = ["terminal"]\n\n[not_claimed]\n"NODE-REG-007" = "{reason}"\n',
    )
    row = _row(report, "NODE-REG-007")
    assert row["verdict"] == "not-applicable" and row["reason"].endswith(reason)
    assert all(t["outcome"] == "skipped" for t in report["tests"] if "kiosk" in t["nodeid"])


# ------------------------------------------------------------------ a HIS on the Tencent envelope
def test_a_tencent_route_his_passes_under_hengyang_when_it_declares_what_the_envelope_cannot_carry(tmp_path):
    """The envelope has no payment operation and answers no poverty flag: without a declaration
    HIS-PAY-* and HIS-013 are not tested and the run fails (step-1 runs); a HIS that reaches the
    node only through the envelope leaves ``payment`` and ``poverty-flag`` out of its claimed
    features (docs/payment.md) and the reference then passes under the profile that selects both."""
    ics = tmp_path / "ics.toml"
    features = ["dynamic-code", "static-code", "temporary-card", "newborn", "family", "usage-report"]
    ics.write_text(
        f'[dut]\nname = "WeChat-route HIS"\n\n[claims]\nroles = ["his"]\nfeatures = {json.dumps(features)}\n',
        encoding="utf-8",
    )
    out = tmp_path / "report"
    code, _ = run_with_result(
        RunOptions(
            role="his",
            dut="api:tencent;reference",
            profile="hunan-hengyang",
            declaration=str(ics),
            out=str(out),
            max_examples=3,
            quiet=True,
        )
    )
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    rows = {r["id"]: r for r in report["requirements"]}
    assert (code, report["verdict"]) == (0, "pass"), report["summary"]
    for rid in ("HIS-013", "HIS-PAY-001", "HIS-PAY-007"):
        assert rows[rid]["verdict"] == "not-applicable" and "not claimed" in rows[rid]["reason"], rows[rid]
    assert rows["HIS-001"]["verdict"] == "pass"
