"""Requirement coverage of the shipped suites (Inferno-style): which requirements no test claims.

Collects every suite with pytest (``--collect-only``) and reads the ``requirement`` markers, so
the answer is what pytest would actually run, not a grep. A requirement without a test passes
the check only if the catalogue marks it ``out_of_scope`` with a reason.
"""

from __future__ import annotations

import contextlib
import io
import os
from dataclasses import dataclass, field

import pytest

from .catalogue import Catalogue, default_catalogue
from .runner import SUITES_DIR, _forget_suite_modules


@dataclass
class CoverageResult:
    tests_by_requirement: dict[str, list[str]] = field(default_factory=dict)
    uncovered: list[str] = field(default_factory=list)  # no test, no out_of_scope reason: a gap
    out_of_scope: dict[str, str] = field(default_factory=dict)  # no test, reason given
    collection_errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.uncovered and not self.collection_errors


class _Collector:
    def __init__(self) -> None:
        self.items: list[tuple[str, list[str]]] = []
        self.errors: list[str] = []

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        from .plugin import requirement_ids

        self.items = [(i.nodeid, requirement_ids(i)) for i in items]

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.errors.append(f"{report.nodeid}: {str(report.longrepr)[-400:]}")


def collect_suites(role: str | None = None) -> _Collector:
    paths = [str(SUITES_DIR / role)] if role else [str(SUITES_DIR)]
    collector = _Collector()
    _forget_suite_modules()
    args = [
        *paths,
        "--collect-only",
        "-q",
        "-p",
        "conformance_tests.plugin",
        "-p",
        "no:cacheprovider",
        "-c",
        os.devnull,
        "--rootdir",
        str(SUITES_DIR.parent.parent),
    ]
    with contextlib.redirect_stdout(io.StringIO()) as out:
        code = pytest.main(args, plugins=[collector])
    if code not in (0, 5) and not collector.errors:
        collector.errors.append(out.getvalue()[-2000:])
    return collector


def coverage(catalogue: Catalogue | None = None, role: str | None = None) -> CoverageResult:
    catalogue = catalogue or default_catalogue()
    collector = collect_suites()
    result = CoverageResult(collection_errors=collector.errors)
    for nodeid, ids in collector.items:
        for rid in ids:
            result.tests_by_requirement.setdefault(rid, []).append(nodeid)
    for req in sorted(catalogue, key=lambda r: r.id):
        if role and role not in req.roles:
            continue
        if req.id in result.tests_by_requirement:
            continue
        if req.out_of_scope:
            result.out_of_scope[req.id] = req.out_of_scope
        else:
            result.uncovered.append(req.id)
    return result
