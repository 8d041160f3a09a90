"""Results model: test outcomes rolled up into one verdict per requirement and one per run.

Verdicts: ``pass``, ``fail``, ``waived`` (failed, covered by a valid waiver), ``not-applicable``
(outside profile/role/declaration, with the reason) and ``not-tested`` (applicable but no test
ran, e.g. out of the kit's scope or skipped). The run passes only when every *gating*
requirement passed or is waived, and no waiver is expired or unmatched. Every applicable
requirement gates, ``should`` as well as ``must``: a declaration relaxes a ``should`` only with a
recorded reason (``[exclusions]`` or ``[not_claimed]``), which makes it not applicable with that
reason in the report. Without a declaration nothing is relaxed (the strictest reading).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from .catalogue import Catalogue
from .declaration import Applicability, Declaration, applicability
from .profiles import Profile
from .waivers import Waiver

PASS = "pass"
FAIL = "fail"
WAIVED = "waived"
NOT_APPLICABLE = "not-applicable"
NOT_TESTED = "not-tested"
VERDICTS = (FAIL, WAIVED, NOT_TESTED, PASS, NOT_APPLICABLE)  # report order: problems first


@dataclass
class TestRecord:
    """One executed (or skipped) pytest item."""

    __test__ = False  # not a pytest test class despite the name

    nodeid: str
    name: str
    requirements: list[str]
    outcome: str = "not-run"  # passed | failed | error | skipped
    duration: float = 0.0
    message: str = ""  # masked failure/skip text
    transcript: list[dict[str, Any]] = field(default_factory=list)
    hypothesis: dict[str, Any] = field(default_factory=dict)
    waived_by: dict[str, Any] | None = None

    @property
    def failed(self) -> bool:
        return self.outcome in ("failed", "error")

    def to_dict(self) -> dict[str, Any]:
        return {
            "nodeid": self.nodeid,
            "name": self.name,
            "requirements": self.requirements,
            "outcome": self.outcome,
            "duration_s": round(self.duration, 4),
            "message": self.message,
            "transcript": self.transcript,
            "hypothesis": self.hypothesis,
            "waived_by": self.waived_by,
        }


@dataclass
class RequirementResult:
    id: str
    verdict: str
    gating: bool
    reason: str | None
    tests: list[str]
    waivers: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self, catalogue: Catalogue) -> dict[str, Any]:
        req = catalogue[self.id]
        return {
            "id": self.id,
            "text": req.text,
            "source": req.source,
            "level": req.level,
            "status": req.status,
            "roles": list(req.roles),
            "verdict": self.verdict,
            "gating": self.gating,
            "reason": self.reason,
            "tests": self.tests,
            "waivers": self.waivers,
        }


@dataclass
class WaiverProblem:
    waiver: Waiver
    problem: str  # "expired" | "unmatched"

    def to_dict(self) -> dict[str, Any]:
        return {**self.waiver.to_dict(), "problem": self.problem}


@dataclass
class RunResult:
    requirements: list[RequirementResult]
    waiver_problems: list[WaiverProblem]

    @property
    def passed(self) -> bool:
        gating_bad = [r for r in self.requirements if r.gating and r.verdict not in (PASS, WAIVED)]
        return not gating_bad and not self.waiver_problems

    def counts(self) -> dict[str, int]:
        out = {v: 0 for v in VERDICTS}
        for r in self.requirements:
            out[r.verdict] += 1
        return out

    def gating_failures(self) -> list[str]:
        return [r.id for r in self.requirements if r.gating and r.verdict not in (PASS, WAIVED)]


def evaluate(
    catalogue: Catalogue,
    role: str,
    profile: Profile,
    declaration: Declaration,
    tests: list[TestRecord],
    waivers: list[Waiver],
    today: dt.date,
) -> RunResult:
    """Roll test records up into requirement verdicts and apply waivers."""
    by_req: dict[str, list[TestRecord]] = {}
    for t in tests:
        for rid in t.requirements:
            by_req.setdefault(rid, []).append(t)
    used: set[int] = set()
    valid = [(i, w) for i, w in enumerate(waivers) if not w.expired(today)]
    for t in tests:
        if not t.failed:
            continue
        for i, w in valid:
            if w.matches(t.requirements, t.nodeid):
                t.waived_by = w.to_dict()
                used.add(i)
                break
    problems = [WaiverProblem(w, "expired") for w in waivers if w.expired(today)]
    problems += [WaiverProblem(w, "unmatched") for i, w in valid if i not in used]

    results = []
    for req in sorted(catalogue, key=lambda r: r.id):
        app: Applicability = applicability(req, role, profile, declaration)
        recs = by_req.get(req.id, [])
        names = [t.nodeid for t in recs]
        if not app.applicable:
            results.append(RequirementResult(req.id, NOT_APPLICABLE, False, app.reason, names))
            continue
        ran = [t for t in recs if t.outcome in ("passed", "failed", "error")]
        failed = [t for t in ran if t.failed]
        if failed:
            unwaived = [t for t in failed if t.waived_by is None]
            waivers_used = [t.waived_by for t in failed if t.waived_by]
            verdict = FAIL if unwaived else WAIVED
            reason = "; ".join(
                f"{t.name}: {t.message.splitlines()[0] if t.message else t.outcome}" for t in failed
            )
            results.append(RequirementResult(req.id, verdict, app.gating, reason[:500], names, waivers_used))
        elif ran:
            results.append(RequirementResult(req.id, PASS, app.gating, None, names))
        else:
            if app.out_of_scope:
                reason = app.reason or ""  # the catalogue check makes it non-empty
            elif recs:
                reason = "all tests skipped: " + "; ".join(t.message for t in recs if t.message)[:400]
            else:
                reason = f"no test of the {role} suites covers this requirement"
            results.append(RequirementResult(req.id, NOT_TESTED, app.gating, reason, names))
    return RunResult(results, problems)
